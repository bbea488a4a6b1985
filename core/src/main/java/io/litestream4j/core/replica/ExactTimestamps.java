package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.util.List;

/**
 * A capability of replicas that can tell when each file's data was written, as its writer
 * recorded it, more cheaply than by reading each file's LTX header: a file time set at upload
 * (file replicas), metadata in the listing (NATS) or one HEAD per file (S3). Point-in-time
 * restores need these times; {@link ExactListings} falls back to the headers for a replica
 * without this capability. Found through {@link ReplicaClient#capability}.
 */
@FunctionalInterface
public interface ExactTimestamps {
    /** Like {@link ReplicaClient#listFiles}, each {@code createdAt} being the writer's time. */
    List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException;
}
