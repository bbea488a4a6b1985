package io.litestream4j.core.replica;

import java.io.IOException;

/** A conditional write or delete of a lease object found another version than the one expected (S3's 412). */
public class LeaseConflictException extends IOException {
    public LeaseConflictException(String message) {
        super(message);
    }

    public LeaseConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
