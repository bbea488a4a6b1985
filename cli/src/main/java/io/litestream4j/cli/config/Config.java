package io.litestream4j.cli.config;

import io.litestream4j.CompactionSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A loaded config file: Litestream 0.5's schema, checked strictly (see {@link ConfigLoader}).
 *
 * @param file the file it came from
 * @param dbs the databases to replicate, named one by one
 * @param directories directory-mode entries: the databases found under each
 * @param compaction levels, snapshots and retention, shared by every replica
 * @param addr where to serve /metrics and /healthz ({@code :9090}), or null for nowhere
 * @param heartbeatUrl where to send a GET while replication is healthy, or null
 * @param heartbeatInterval how often
 * @param exec the application to run once replication runs, or null
 * @param shutdownSyncTimeout how long a stop waits for the replicas to take the last changes
 * @param logLevel {@code logging.level}, or null for the command line's
 * @param logJson {@code logging.type: json}
 * @param logToStdout {@code logging.stderr: false}
 * @param socket the control socket ({@code socket:}), off unless enabled
 * @param validationInterval {@code validation.interval}: how often levels 0-3 are checked for gaps and overlaps; null: never
 * @param verifyCompaction {@code verify-compaction}: check the compacted levels for gaps and overlaps
 * @param mcpAddr where to serve the MCP server ({@code 127.0.0.1:3001}), or null for nowhere
 * @param warnings settings read but ignored (Litestream 0.3 keys), each naming the file and line
 */
public record Config(
        Path file,
        List<DatabaseConfig> dbs,
        List<DirectoryConfig> directories,
        CompactionSettings compaction,
        String addr,
        java.net.URI heartbeatUrl,
        Duration heartbeatInterval,
        String exec,
        Duration shutdownSyncTimeout,
        String logLevel,
        boolean logJson,
        boolean logToStdout,
        SocketSection socket,
        Duration validationInterval,
        boolean verifyCompaction,
        String mcpAddr,
        List<String> warnings) {

    public Config {
        dbs = List.copyOf(dbs);
        directories = List.copyOf(directories);
        warnings = List.copyOf(warnings);
    }

    /** The database configured at {@code path}, by name or under a directory entry (compared as absolute, normalised paths). */
    public Optional<DatabaseConfig> database(Path path) {
        Path want = path.toAbsolutePath().normalize();
        Optional<DatabaseConfig> named = dbs.stream().filter(d -> d.path().equals(want)).findFirst();
        if (named.isPresent()) {
            return named;
        }
        return directories.stream().filter(d -> d.covers(want)).findFirst().map(d -> d.database(want));
    }

    /** Every database now: those named, and those found in the directories. */
    public List<DatabaseConfig> allDatabases() throws java.io.IOException {
        List<DatabaseConfig> all = new java.util.ArrayList<>(dbs);
        for (DirectoryConfig d : directories) {
            all.addAll(d.scan());
        }
        return all;
    }
}
