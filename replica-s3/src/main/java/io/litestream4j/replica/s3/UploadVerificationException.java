package io.litestream4j.replica.s3;

import java.io.IOException;

/**
 * An upload the store did not receive byte for byte: it refused the body's Content-MD5 or
 * payload hash ({@code BadDigest}), or the ETag it answered is not the MD5 of what was sent. The
 * object must not count as replicated; the uploader retries it. Its class name is the
 * {@code code} label of {@code litestream_replica_operation_errors_total}.
 */
public final class UploadVerificationException extends IOException {
    public UploadVerificationException(String message) {
        super(message);
    }

    public UploadVerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
