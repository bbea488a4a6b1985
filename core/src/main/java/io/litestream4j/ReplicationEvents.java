package io.litestream4j;

import java.nio.file.Path;

/**
 * What replication reports as it happens, for metrics. Called on the replication threads: an
 * implementation must be quick and must not throw. The engine has no metrics library of its own.
 */
public interface ReplicationEvents {
    /** Does nothing. */
    ReplicationEvents NONE = new ReplicationEvents() {};

    /** One sync of {@code db}'s WAL, successful or not, and how long it took. */
    default void synced(Path db, long nanos, boolean ok) {}

    /** One checkpoint of {@code db} in {@code mode} ({@code PASSIVE} or {@code TRUNCATE}). */
    default void checkpointed(Path db, String mode, long nanos, boolean ok) {}

    /**
     * One request to a replica: {@code operation} is {@code GET}, {@code PUT}, {@code DELETE} or
     * {@code LIST}; {@code errorCode} is null on success, else a short name of the failure.
     */
    default void replicaOperation(String replicaType, String operation, long bytes, long nanos, String errorCode) {}

    /**
     * A file read from a replica is not what was written (found at compaction, restore or a
     * check): its read succeeded but its contents failed verification. Counted with the failed
     * requests as a {@code GET} with {@code errorCode} ({@code LtxFormatException},
     * {@code LtxChecksumException}).
     */
    default void replicaFileCorrupt(String replicaType, String errorCode) {}
}
