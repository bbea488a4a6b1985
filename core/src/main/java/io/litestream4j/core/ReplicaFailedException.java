package io.litestream4j.core;

import java.io.IOException;

/**
 * A replica failed to take changes that a caller was waiting for (an upload failed, or its
 * replication stopped). The message names the replica and the cause; the replica keeps being
 * retried in the background while replication runs.
 */
public final class ReplicaFailedException extends IOException {
    private final String replica;

    public ReplicaFailedException(String replica, String message) {
        super(message);
        this.replica = replica;
    }

    /** The replica's location, without credentials. */
    public String replica() {
        return replica;
    }
}
