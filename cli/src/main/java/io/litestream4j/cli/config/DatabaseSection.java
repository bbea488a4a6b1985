package io.litestream4j.cli.config;

import io.litestream4j.DatabaseOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@code dbs} list: one database by path, or a directory of them (directory mode), each with its replicas. */
final class DatabaseSection {
    private static final Map<String, String> LEGACY_KEYS = Map.of(
            "max-checkpoint-page-count", "checkpoints follow min-checkpoint-page-count and truncate-page-n");

    private final ReplicaSection replicas;
    private final Map<String, String> env;
    private final List<String> warnings;
    final List<DatabaseConfig> dbs = new ArrayList<>();
    final List<DirectoryConfig> directories = new ArrayList<>();

    /** Reads every entry of {@code root}'s {@code dbs}. */
    DatabaseSection(YamlSection root, ReplicaSection replicas, Map<String, String> env, List<String> warnings) {
        this.replicas = replicas;
        this.env = env;
        this.warnings = warnings;
        Set<Path> seen = new HashSet<>();
        for (YamlSection db : root.sections("dbs")) {
            boolean directoryMode = db.has("dir");
            String pattern = db.string("pattern").map(String::strip).orElse(null);
            boolean recursive = db.bool("recursive").orElse(false);
            boolean watch = db.bool("watch").orElse(false);
            DatabaseConfig d = database(db);
            if (directoryMode) {
                if (pattern == null || pattern.isEmpty()) {
                    throw new ConfigException(db.at("dir") + "\"%s\": directory mode wants a pattern, for example \"*.db\"".formatted(db.path()));
                }
                directories.add(new DirectoryConfig(d.path(), pattern, recursive, watch, d));
            } else if (!seen.add(d.path())) {
                throw new ConfigException(db.at("path") + "database %s is configured twice".formatted(d.path()));
            } else {
                dbs.add(d);
            }
        }
    }

    private DatabaseConfig database(YamlSection db) {
        if (db.has("dir") && db.has("path")) {
            throw new ConfigException(db.at("dir") + "\"%s\": set path (one database) or dir (directory mode), not both".formatted(db.path()));
        }
        if (!db.has("dir")) {
            for (String key : List.of("pattern", "recursive", "watch")) {
                if (db.has(key)) {
                    throw new ConfigException(db.at(key) + "\"%s\": only for directory mode (with dir)".formatted(db.qualified(key)));
                }
            }
        }
        String rawPath = db.string(db.has("dir") ? "dir" : "path").orElseThrow(() -> new ConfigException(
                db.here() + "\"%s\": want path (the database file) or dir and pattern (directory mode)".formatted(db.path())));
        db.has("path"); // a key of this section in both modes
        Path path = databasePath(rawPath);
        if (db.has("dir") && db.has("meta-path")) {
            throw new ConfigException(db.at("meta-path") + "\"%s\": each database of a directory keeps its own local state; remove meta-path"
                    .formatted(db.qualified("meta-path")));
        }
        DatabaseOptions options = options(db);
        boolean restore = db.bool("restore-if-db-not-exists").orElse(false);
        if (db.has("replica") && db.has("replicas")) {
            throw new ConfigException(db.at("replicas") + "\"%s\": set replica or replicas, not both".formatted(db.path()));
        }
        List<YamlSection> sections = db.has("replica") ? db.section("replica").map(List::of).orElse(List.of()) : db.sections("replicas");
        if (sections.isEmpty()) {
            throw new ConfigException(db.here() + "database %s: want a replica (replica: with url or type and path)".formatted(path));
        }
        List<ReplicaConfig> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection r : sections) {
            ReplicaConfig rc = replicas.read(r);
            if (!names.add(rc.name())) {
                throw new ConfigException(r.here() + "database %s has two replicas named \"%s\"; give each a distinct name:".formatted(path, rc.name()));
            }
            out.add(rc);
        }
        db.finish(LEGACY_KEYS, warnings);
        return new DatabaseConfig(path, options, restore, out, db.here());
    }

    private DatabaseOptions options(YamlSection db) {
        DatabaseOptions d = DatabaseOptions.defaults();
        Path metaPath = db.string("meta-path").map(this::databasePath).orElse(null);
        Duration busyTimeout = db.duration("busy-timeout").orElse(d.busyTimeout());
        Duration monitorInterval = db.duration("monitor-interval").orElse(d.monitorInterval());
        Duration checkpointInterval = db.duration("checkpoint-interval").orElse(d.checkpointInterval());
        int minPages = db.integer("min-checkpoint-page-count").orElse(d.minCheckpointPageCount());
        int truncatePages = db.integer("truncate-page-n").orElse(d.truncatePageN());
        long maxSyncWalBytes = db.bytes("max-sync-wal-bytes").orElse(d.maxSyncWalBytes());
        try {
            return new DatabaseOptions(metaPath, busyTimeout, monitorInterval, checkpointInterval, minPages, truncatePages, maxSyncWalBytes);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(db.here() + db.path() + ": " + e.getMessage());
        }
    }

    /** {@code ~} expanded, made absolute, a {@code sqlite://} prefix stripped, as Litestream does. */
    private Path databasePath(String raw) {
        String p = raw.strip();
        if (p.startsWith("sqlite://")) {
            p = p.substring("sqlite://".length());
        }
        if (p.equals("~") || p.startsWith("~/")) {
            p = env.getOrDefault("HOME", System.getProperty("user.home")) + p.substring(1);
        }
        return Path.of(p).toAbsolutePath().normalize();
    }
}
