package io.litestream4j.cli.config;

import io.litestream4j.DatabaseOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@code dbs} entry.
 *
 * @param path the database, absolute
 * @param options its meta path, busy timeout, monitor and checkpoint settings
 * @param restoreIfDbNotExists restore from the replica before replicating when the file is missing
 * @param replicas where it goes: one or more destinations, each with its own position and sync interval
 * @param where "config FILE line N: " of the entry, for messages
 */
public record DatabaseConfig(Path path, DatabaseOptions options, boolean restoreIfDbNotExists, List<ReplicaConfig> replicas, String where) {
    public DatabaseConfig {
        replicas = List.copyOf(replicas);
    }
}
