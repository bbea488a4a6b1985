package io.litestream4j.cli.config;

import io.litestream4j.core.DatabaseOptions;
import io.litestream4j.core.compaction.CompactionSettings;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Litestream 0.5 config file. Strict: an unknown key, or a value or feature we cannot
 * honour, is an error naming the file, the line and the key; a key only Litestream 0.3 knew is a
 * warning saying it is ignored. A misconfigured feature never silently does nothing.
 *
 * <p>Beyond Litestream 0.5: {@code replicas:} may list several destinations per database.
 */
public final class ConfigLoader {
    /** The config path when neither -config nor LITESTREAM_CONFIG gives one. */
    public static final Path DEFAULT_PATH = Path.of("/etc/litestream.yml");

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}|\\$([A-Za-z_][A-Za-z0-9_]*)");
    private static final Set<String> LOG_LEVELS = Set.of("debug", "info", "warn", "warning", "error");
    private static final String NOT_YET = "not supported by litestream4j yet; remove it (a setting that did nothing would be worse)";

    private static final Map<String, String> LEGACY_DB_KEYS = Map.of(
            "max-checkpoint-page-count", "checkpoints follow min-checkpoint-page-count and truncate-page-n");
    private static final Map<String, String> LEGACY_REPLICA_KEYS = Map.of(
            "retention-check-interval", "use the top-level l0-retention-check-interval",
            "validation-interval", "validation is not part of Litestream 0.5");

    private final Map<String, ReplicaClientFactory> factories;
    private final Map<String, String> env;
    private final boolean expandEnv;
    private final List<String> warnings = new ArrayList<>();

    private ConfigLoader(Map<String, ReplicaClientFactory> factories, Map<String, String> env, boolean expandEnv) {
        this.factories = factories;
        this.env = env;
        this.expandEnv = expandEnv;
    }

    /** The config file to read: {@code flag}, else {@code $LITESTREAM_CONFIG}, else /etc/litestream.yml. */
    public static Path resolvePath(Path flag, Map<String, String> env) {
        if (flag != null) {
            return flag;
        }
        String fromEnv = env.get("LITESTREAM_CONFIG");
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : DEFAULT_PATH;
    }

    /** Loads {@code file}, expanding {@code $VAR} and {@code ${VAR}} from the environment unless told not to. */
    public static Config load(Path file, boolean expandEnv) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IOException("config file %s does not exist".formatted(file.toAbsolutePath()), e);
        }
        return parse(file, text, System.getenv(), expandEnv);
    }

    /** Parses config text as if read from {@code file}. */
    public static Config parse(Path file, String text, Map<String, String> env, boolean expandEnv) {
        return new ConfigLoader(ReplicaClients.factories(), env, expandEnv).read(file, text);
    }

    private Config read(Path file, String text) {
        String expanded = expandEnv ? expand(text) : text;
        YamlSection root = YamlSection.parse(file.toString(), expanded);
        for (String key : List.of("mcp-addr", "validation", "age")) {
            if (root.has(key)) {
                root.string(key);
                throw root.unsupported(key, NOT_YET);
            }
        }
        root.section("socket").ifPresent(s -> {
            if (s.bool("enabled").orElse(false)) {
                throw s.unsupported("enabled", "the control socket is " + NOT_YET);
            }
            s.string("path");
            s.string("permissions");
            s.finish(Set.of("enabled", "path", "permissions"), Map.of(), warnings);
        });
        CompactionSettings compaction = compaction(root);
        String addr = root.string("addr").map(String::strip).filter(a -> !a.isEmpty()).orElse(null);
        if (addr != null && !addr.matches("[^:]*:\\d{1,5}")) {
            throw root.invalid("addr", addr, "host:port or :port, for example :9090");
        }
        java.net.URI heartbeatUrl = root.string("heartbeat-url").map(String::strip).filter(u -> !u.isEmpty()).map(u -> {
            try {
                java.net.URI uri = new java.net.URI(u);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw root.invalid("heartbeat-url", u, "an http:// or https:// URL");
                }
                return uri;
            } catch (java.net.URISyntaxException e) {
                throw root.invalid("heartbeat-url", u, "an http:// or https:// URL");
            }
        }).orElse(null);
        Duration heartbeatInterval = root.duration("heartbeat-interval").orElse(Duration.ofMinutes(5));
        if (heartbeatInterval.compareTo(Duration.ofMinutes(1)) < 0) {
            throw root.invalid("heartbeat-interval", GoDuration.format(heartbeatInterval), "at least 1m");
        }
        String exec = root.string("exec").map(String::strip).filter(e -> !e.isEmpty()).orElse(null);
        Duration shutdownTimeout = root.duration("shutdown-sync-timeout").orElse(Duration.ofSeconds(30));
        root.duration("shutdown-sync-interval"); // Litestream polls at it; we wait on the upload itself
        String logLevel = null;
        boolean json = false;
        boolean stdout = false;
        var logging = root.section("logging");
        if (logging.isPresent()) {
            YamlSection l = logging.get();
            logLevel = l.string("level").map(v -> v.strip().toLowerCase(java.util.Locale.ROOT)).orElse(null);
            if (logLevel != null && !LOG_LEVELS.contains(logLevel)) {
                throw l.invalid("level", logLevel, "debug, info, warn or error");
            }
            String type = l.string("type").map(String::strip).orElse("text");
            if (!type.equals("text") && !type.equals("json")) {
                throw l.invalid("type", type, "text or json");
            }
            json = type.equals("json");
            stdout = !l.bool("stderr").orElse(true);
            l.finish(Set.of("level", "type", "stderr"), Map.of(), warnings);
        }
        Map<String, String> replicaDefaults = replicaDefaults(root);
        List<DatabaseConfig> dbs = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        List<DirectoryConfig> directories = new ArrayList<>();
        for (YamlSection db : root.sections("dbs")) {
            boolean directoryMode = db.has("dir");
            String pattern = db.string("pattern").map(String::strip).orElse(null);
            boolean recursive = db.bool("recursive").orElse(false);
            boolean watch = db.bool("watch").orElse(false);
            DatabaseConfig d = database(db, replicaDefaults);
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
        Set<String> known = new TreeSet<>(Set.of("dbs", "levels", "snapshot", "l0-retention", "l0-retention-check-interval", "retention",
                "logging", "shutdown-sync-timeout", "shutdown-sync-interval", "socket", "addr", "exec", "heartbeat-url", "heartbeat-interval",
                "mcp-addr", "validation", "age"));
        known.addAll(globalReplicaKeys());
        root.finish(known, Map.of(), warnings);
        return new Config(file, dbs, directories, compaction, addr, heartbeatUrl, heartbeatInterval, exec, shutdownTimeout, logLevel, json, stdout, warnings);
    }

    private String expand(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(name, "")));
        }
        m.appendTail(out);
        return out.toString();
    }

    private CompactionSettings compaction(YamlSection root) {
        CompactionSettings d = CompactionSettings.defaults();
        List<Duration> levels = new ArrayList<>();
        for (YamlSection level : root.sections("levels")) {
            levels.add(level.duration("interval").orElseThrow(() -> new ConfigException(level.here() + "\"%s.interval\": missing".formatted(level.path()))));
            level.finish(Set.of("interval"), Map.of(), warnings);
        }
        Duration snapshotInterval = d.snapshotInterval();
        Duration snapshotRetention = d.snapshotRetention();
        var snapshot = root.section("snapshot");
        if (snapshot.isPresent()) {
            snapshotInterval = snapshot.get().duration("interval").orElse(snapshotInterval);
            snapshotRetention = snapshot.get().duration("retention").orElse(snapshotRetention);
            snapshot.get().finish(Set.of("interval", "retention"), Map.of(), warnings);
        }
        boolean retentionEnabled = true;
        var retention = root.section("retention");
        if (retention.isPresent()) {
            retentionEnabled = retention.get().bool("enabled").orElse(true);
            retention.get().finish(Set.of("enabled"), Map.of(), warnings);
        }
        Duration l0Retention = root.duration("l0-retention").orElse(d.l0Retention());
        Duration retentionCheck = root.duration("l0-retention-check-interval").orElse(d.retentionCheckInterval());
        try {
            return new CompactionSettings(levels.isEmpty() ? d.levelIntervals() : levels, snapshotInterval, snapshotRetention, l0Retention,
                    retentionEnabled, retentionCheck);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(root.here() + e.getMessage());
        }
    }

    /** Replica keys every backend takes from the top level as defaults (credentials, region...). */
    private Set<String> globalReplicaKeys() {
        Set<String> keys = new TreeSet<>();
        keys.add("sync-interval");
        for (ReplicaClientFactory f : factories.values()) {
            keys.addAll(f.configKeys());
        }
        keys.removeAll(Set.of("path", "bucket"));
        return keys;
    }

    private Map<String, String> replicaDefaults(YamlSection root) {
        Map<String, String> out = new LinkedHashMap<>();
        root.duration("sync-interval"); // checked here, where its line is known
        for (String key : globalReplicaKeys()) {
            root.string(key).ifPresent(v -> out.put(key, v));
        }
        return out;
    }

    private DatabaseConfig database(YamlSection db, Map<String, String> replicaDefaults) {
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
        Path path = databasePath(rawPath);
        if (db.has("dir") && db.has("meta-path")) {
            throw new ConfigException(db.at("meta-path") + "\"%s\": each database of a directory keeps its own local state; remove meta-path"
                    .formatted(db.qualified("meta-path")));
        }
        DatabaseOptions d = DatabaseOptions.defaults();
        Path metaPath = db.string("meta-path").map(this::databasePath).orElse(null);
        Duration busyTimeout = db.duration("busy-timeout").orElse(d.busyTimeout());
        Duration monitorInterval = db.duration("monitor-interval").orElse(d.monitorInterval());
        Duration checkpointInterval = db.duration("checkpoint-interval").orElse(d.checkpointInterval());
        int minPages = db.integer("min-checkpoint-page-count").orElse(d.minCheckpointPageCount());
        int truncatePages = db.integer("truncate-page-n").orElse(d.truncatePageN());
        long maxSyncWalBytes = db.bytes("max-sync-wal-bytes").orElse(d.maxSyncWalBytes());
        DatabaseOptions options;
        try {
            options = new DatabaseOptions(metaPath, busyTimeout, monitorInterval, checkpointInterval, minPages, truncatePages, maxSyncWalBytes);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(db.here() + db.path() + ": " + e.getMessage());
        }
        boolean restore = db.bool("restore-if-db-not-exists").orElse(false);
        if (db.has("replica") && db.has("replicas")) {
            throw new ConfigException(db.at("replicas") + "\"%s\": set replica or replicas, not both".formatted(db.path()));
        }
        List<YamlSection> sections = db.has("replica") ? db.section("replica").map(List::of).orElse(List.of()) : db.sections("replicas");
        if (sections.isEmpty()) {
            throw new ConfigException(db.here() + "database %s: want a replica (replica: with url or type and path)".formatted(path));
        }
        List<ReplicaConfig> replicas = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (YamlSection r : sections) {
            ReplicaConfig rc = replica(r, replicaDefaults);
            if (!names.add(rc.name())) {
                throw new ConfigException(r.here() + "database %s has two replicas named \"%s\"; give each a distinct name:".formatted(path, rc.name()));
            }
            replicas.add(rc);
        }
        db.finish(Set.of("path", "meta-path", "busy-timeout", "monitor-interval", "checkpoint-interval", "min-checkpoint-page-count",
                "truncate-page-n", "restore-if-db-not-exists", "replica", "replicas", "dir", "pattern", "recursive", "watch", "max-sync-wal-bytes"),
                LEGACY_DB_KEYS, warnings);
        return new DatabaseConfig(path, options, restore, replicas, db.here());
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

    private ReplicaConfig replica(YamlSection r, Map<String, String> defaults) {
        URI url = null;
        String type = r.string("type").map(String::strip).orElse(null);
        var urlText = r.string("url");
        if (urlText.isPresent()) {
            try {
                url = ReplicaClients.parse(urlText.get().strip());
            } catch (IOException e) {
                throw new ConfigException(r.at("url") + e.getMessage());
            }
            String scheme = url.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (type != null && !type.equals(scheme)) {
                throw new ConfigException(r.at("type") + "\"%s\": type %s does not match the url's scheme %s".formatted(r.qualified("type"), type, scheme));
            }
            type = scheme;
        }
        if (type == null) {
            type = "file";
        }
        ReplicaClientFactory factory = factories.get(type);
        if (factory == null) {
            throw new ConfigException((urlText.isPresent() ? r.at("url") : r.at("type"))
                    + "\"%s\": unknown replica type %s (supported: %s)".formatted(r.qualified(urlText.isPresent() ? "url" : "type"), type,
                            String.join(", ", factories.keySet())));
        }
        Duration syncInterval = r.duration("sync-interval").orElse(defaults.containsKey("sync-interval")
                ? GoDuration.parse(defaults.get("sync-interval")) : null);
        String name = r.string("name").map(String::strip).orElse(type);
        // Litestream 0.3's per-replica keys, honoured: each replica may keep its own history.
        Duration retention = r.duration("retention").orElse(null);
        Duration snapshotInterval = r.duration("snapshot-interval").orElse(null);
        if (snapshotInterval != null && snapshotInterval.isZero()) {
            throw r.invalid("snapshot-interval", "0", "a positive duration");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String key : new TreeSet<>(factory.configKeys())) {
            r.string(key).ifPresent(v -> keys.put(key, v));
        }
        for (Map.Entry<String, String> e : defaults.entrySet()) {
            if (factory.configKeys().contains(e.getKey())) {
                keys.putIfAbsent(e.getKey(), e.getValue()); // the section's own value wins
            }
        }
        Set<String> known = new TreeSet<>(Set.of("type", "url", "name", "sync-interval", "retention", "snapshot-interval"));
        known.addAll(factory.configKeys());
        r.finish(known, LEGACY_REPLICA_KEYS, warnings);
        return new ReplicaConfig(name, type, url, keys, syncInterval, retention, snapshotInterval, r.here(), factory);
    }
}
