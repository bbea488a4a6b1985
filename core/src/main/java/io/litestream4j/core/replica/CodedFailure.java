package io.litestream4j.core.replica;

/**
 * A backend's failure that names its own {@code code} label for
 * {@code litestream_replica_operation_errors_total} (see {@link ErrorCodes}): a short, stable
 * name such as S3's {@code BadDigest}, never a class name or a message.
 */
public interface CodedFailure {
    String errorCode();
}
