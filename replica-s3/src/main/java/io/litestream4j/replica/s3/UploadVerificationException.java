package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.CodedFailure;
import java.io.IOException;

/**
 * An upload the store did not receive byte for byte: it refused the body's Content-MD5 or
 * payload hash ({@code BadDigest}), or the ETag it answered is not the MD5 of what was sent. The
 * object must not count as replicated; the uploader retries it. It is counted in
 * {@code litestream_replica_operation_errors_total} with the code {@code BadDigest}, S3's own
 * name for a body that did not match its digest.
 */
public final class UploadVerificationException extends IOException implements CodedFailure {
    @Override
    public String errorCode() {
        return "BadDigest";
    }

    public UploadVerificationException(String message) {
        super(message);
    }

    public UploadVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
