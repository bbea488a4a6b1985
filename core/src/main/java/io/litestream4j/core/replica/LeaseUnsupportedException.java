package io.litestream4j.core.replica;

import java.io.IOException;

/**
 * The store behind a {@link LeaseStore} cannot write conditionally (an S3-compatible server that
 * answers 501 Not Implemented to {@code If-None-Match}): the replica is used without a lease, with
 * a warning, rather than not at all.
 */
public class LeaseUnsupportedException extends IOException {
    public LeaseUnsupportedException(String message, Throwable cause) {
        super(message, cause);
    }
}
