package io.litestream4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.litestream4j.NoBackupException;
import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The MCP server's tools, with Litestream 0.5's names and arguments ({@code cmd/litestream/mcp.go}):
 * {@code litestream_info}, {@code litestream_databases}, {@code litestream_status},
 * {@code litestream_ltx}, {@code litestream_restore}, {@code litestream_reset},
 * {@code litestream_version}. Litestream's tools run its own binary again and return its text;
 * these answer from this process's state ({@link LiveStatus}) and return the text its command
 * would print beside the same facts as a JSON object ({@code structuredContent}).
 *
 * <p>Safety: {@code litestream_restore} never replaces an existing file and refuses a database
 * this process replicates (running, or stopped through the control socket); {@code litestream_reset}
 * refuses a database this process replicates now. {@code config}, where Litestream takes it, may
 * only name this process's own config file: these tools describe the running replicator.
 *
 * <p>Not tied to the MCP SDK: each tool is a name, a description, its argument schema and a
 * function from arguments to a {@link Result}; {@link McpEndpoint} hands them to the SDK.
 */
final class McpTools {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tool's answer: the text, the structured result (null for an error) and whether it failed. */
    record Result(String text, Map<String, Object> structured, boolean error) {
        static Result error(String message) {
            return new Result(message, null, true);
        }
    }

    /** A failure to report to the client as the tool's error result. */
    static final class ToolError extends RuntimeException {
        ToolError(String message) {
            super(message);
        }
    }

    interface Handler {
        Result call(Map<String, Object> args) throws IOException;
    }

    /** One tool: its name, description, JSON schemas of its arguments and of its structured result, and what it does. */
    record Tool(String name, String description, Map<String, Object> inputSchema, Map<String, Object> outputSchema, boolean readOnly, Handler handler) {
        /** Runs the tool; a bad argument, a refusal or an I/O failure becomes an error result naming the cause. */
        Result call(Map<String, Object> args) {
            try {
                return handler.call(args == null ? Map.of() : args);
            } catch (ToolError | IllegalArgumentException e) {
                return Result.error(e.getMessage());
            } catch (IOException | RuntimeException e) {
                return Result.error(name + ": " + ReplicaHealth.describe(e));
            }
        }
    }

    private final LiveStatus live;
    private final Config config;

    /** @param config the config this process read, or null (a database given on the command line) */
    McpTools(LiveStatus live, Config config) {
        this.live = live;
        this.config = config;
    }

    List<Tool> tools() {
        return List.of(
                new Tool("litestream_info", "Summary of the running Litestream replicator: version, uptime, config file, and each database "
                        + "with its TXID, status and each replica's position and files per level.",
                        schema(Map.of("config", string("Path to the Litestream config file. Optional: only this replicator's own."))),
                        object("version", "pid", "uptime_seconds", "databases"), true, this::info),
                new Tool("litestream_databases", "List the databases this replicator replicates and their replicas.",
                        schema(Map.of("config", string("Path to the Litestream config file. Optional: only this replicator's own."))),
                        object("databases"), true, this::databases),
                new Tool("litestream_status", "Replication status of each database: path, status, local TXID, WAL size, and each replica's "
                        + "TXID, lag, last sync and error.",
                        schema(Map.of("config", string("Path to the Litestream config file. Optional: only this replicator's own."),
                                "path", string("Filter to a specific database path. Optional."))),
                        object("databases"), true, this::status),
                new Tool("litestream_ltx", "List the LTX files of a database's replica or of a replica URL.",
                        schema(Map.of("path", string("Database path or replica URL."),
                                "config", string("Path to the Litestream config file. Optional: only this replicator's own."),
                                "level", string("Level 0-9, or all. Optional, default 0."),
                                "replica", string("With a database path: the name of the replica to list. Optional, default the first.")), "path"),
                        object("path", "level", "files"), true, this::ltx),
                new Tool("litestream_restore", "Restore a database from a Litestream replica to a new file. Never replaces an existing file "
                        + "and refuses a database this replicator replicates.",
                        schema(restoreArguments(), "path"), object("status", "output"), false, this::restore),
                new Tool("litestream_reset", "Clear local Litestream state for a database not being replicated by this process: removes its "
                        + "local LTX files, so its next replication starts with a fresh snapshot. The database file is not modified.",
                        schema(Map.of("path", string("Database path to reset."),
                                "config", string("Path to the Litestream config file. Optional: only this replicator's own.")), "path"),
                        object("status", "path"), false, this::reset),
                new Tool("litestream_version", "Print the Litestream binary version.", schema(Map.of()), object("version"), true, this::version));
    }

    private static Map<String, Object> restoreArguments() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("path", string("Database path or replica URL."));
        p.put("o", string("Output path for the restored database. Required with a replica URL; default the database path."));
        p.put("config", string("Path to the Litestream config file. Optional: only this replicator's own."));
        p.put("txid", string("Restore up to a specific transaction ID (16 hex digits). Optional."));
        p.put("timestamp", string("Restore to a specific point-in-time (RFC3339). Optional."));
        p.put("parallelism", Map.of("type", List.of("string", "integer"), "description", "Number of files to download in parallel. Optional, default 8."));
        p.put("if_db_not_exists", bool("Succeed without restoring if the output database already exists. Optional."));
        p.put("if_replica_exists", bool("Succeed without restoring if no backups are found. Optional."));
        return p;
    }

    private static Map<String, Object> string(String description) {
        return Map.of("type", "string", "description", description);
    }

    private static Map<String, Object> bool(String description) {
        return Map.of("type", "boolean", "description", description);
    }

    private static Map<String, Object> schema(Map<String, Object> properties, String... required) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("properties", properties);
        s.put("required", List.of(required));
        return s;
    }

    /** The result schema: an object that has at least {@code required}. */
    private static Map<String, Object> object(String... required) {
        return Map.of("type", "object", "required", List.of(required));
    }

    // --- the tools

    private Result version(Map<String, Object> args) {
        return new Result("litestream4j " + live.version() + "\n", Map.of("version", live.version()), false);
    }

    private Result databases(Map<String, Object> args) {
        checkConfig(args);
        List<Map<String, Object>> dbs = new ArrayList<>();
        TextTable table = new TextTable("path", "status", "replicas");
        for (LiveStatus.DatabaseState d : live.snapshot(false).databases()) {
            List<Map<String, Object>> replicas = d.replicas().stream().map(r -> Map.<String, Object>of("name", r.name(), "type", r.type(), "url", r.url())).toList();
            dbs.add(Map.of("path", d.path(), "status", d.status(), "replicas", replicas));
            table.row(d.path(), d.status(), String.join(", ", d.replicas().stream().map(r -> r.name() + " (" + r.url() + ")").toList()));
        }
        return new Result(print(table), Map.of("databases", dbs), false);
    }

    private Result status(Map<String, Object> args) {
        checkConfig(args);
        String path = text(args, "path");
        List<LiveStatus.DatabaseState> dbs;
        if (path != null) {
            dbs = List.of(live.database(ControlApi.expand(path), false)
                    .orElseThrow(() -> new ToolError("database " + ControlApi.expand(path) + " is not replicated by this process")));
        } else {
            dbs = live.snapshot(false).databases();
        }
        return new Result(statusText(dbs), Map.of("databases", JSON.convertValue(dbs, List.class)), false);
    }

    /** The {@code status} command's columns, then a line per replica. */
    private static String statusText(List<LiveStatus.DatabaseState> dbs) {
        TextTable table = new TextTable("database", "status", "local txid", "wal size");
        dbs.forEach(d -> table.row(d.path(), d.status(), d.txid(), d.walSize()));
        StringBuilder out = new StringBuilder(print(table));
        for (LiveStatus.DatabaseState d : dbs) {
            if (d.error() != null) {
                out.append(d.path()).append(": sync failing: ").append(d.error()).append('\n');
            }
            for (LiveStatus.ReplicaState r : d.replicas()) {
                out.append("%s: replica %s (%s): txid %s, lag %.1f s, last sync %s%s%n".formatted(d.path(), r.name(), r.url(), r.txid(), r.lagSeconds(),
                        r.lastSyncAt() == null ? "none yet" : r.lastSyncAt(), r.error() == null ? "" : ", failing: " + r.error()));
            }
        }
        return out.toString();
    }

    private Result info(Map<String, Object> args) {
        checkConfig(args);
        LiveStatus.Snapshot s = live.snapshot(false);
        long uptime = Duration.between(live.startedAt(), Instant.parse(s.now())).toSeconds();
        StringBuilder out = new StringBuilder("=== Litestream Status Report ===\n\n");
        out.append("Version: litestream4j ").append(s.version()).append('\n');
        out.append("PID: ").append(s.pid()).append(", up ").append(uptime).append(" s (since ").append(s.startedAt()).append(")\n");
        out.append("Config: ").append(s.config() == null ? "none (database given on the command line)" : s.config()).append("\n\n");
        out.append("Databases:\n").append(statusText(s.databases()));
        for (LiveStatus.DatabaseState d : s.databases()) {
            for (LiveStatus.ReplicaState r : d.replicas()) {
                out.append("%s: replica %s files per level: %s%n".formatted(d.path(), r.name(), r.filesPerLevel().isEmpty() ? "none" : r.filesPerLevel()));
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> structured = new LinkedHashMap<>(JSON.convertValue(s, Map.class));
        structured.put("uptime_seconds", uptime);
        return new Result(out.toString(), structured, false);
    }

    private Result ltx(Map<String, Object> args) throws IOException {
        checkConfig(args);
        String path = required(args, "path");
        String level = Optional.ofNullable(text(args, "level")).orElse("0");
        String replicaName = text(args, "replica");
        int onlyLevel = "all".equalsIgnoreCase(level) ? -1 : LtxCommand.parseLevel(level);
        List<LtxFileInfo> files;
        String location;
        Optional<DatabaseReplicator> running = ReplicaArgument.isReplica(path) ? Optional.empty() : live.running(ControlApi.expand(path));
        if (running.isPresent()) {
            ReplicaClient client = runningReplica(running.get(), replicaName);
            files = list(client, onlyLevel);
            location = client.location();
        } else {
            try (ReplicaClient client = open(path, replicaName)) {
                files = list(client, onlyLevel);
                location = client.location();
            }
        }
        StringWriter text = new StringWriter();
        LtxListing.table(files, new PrintWriter(text));
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("path", path);
        structured.put("replica", location);
        structured.put("level", onlyLevel < 0 ? "all" : Integer.toString(onlyLevel));
        structured.put("files", files.stream().map(LtxListing::asMap).toList());
        return new Result(text.toString(), structured, false);
    }

    private static List<LtxFileInfo> list(ReplicaClient client, int level) throws IOException {
        return level < 0 ? LiveStatus.files(client) : client.listFiles(level, 0);
    }

    /** A running database's replica (through the replicator's listing cache): the one named, else the first. */
    private ReplicaClient runningReplica(DatabaseReplicator r, String name) {
        List<DatabaseReplicator.Destination> destinations = r.destinations();
        if (name == null) {
            return destinations.getFirst().client();
        }
        LiveStatus.DatabaseState state = live.database(r, false);
        for (int i = 0; i < state.replicas().size(); i++) {
            if (state.replicas().get(i).name().equals(name)) {
                return destinations.get(i).client();
            }
        }
        throw new ToolError("database %s has no replica named \"%s\" (it has %s)".formatted(state.path(), name,
                String.join(", ", state.replicas().stream().map(LiveStatus.ReplicaState::name).toList())));
    }

    /** Opens a replica URL or folder, or a configured database's replica; the caller closes it. */
    private ReplicaClient open(String path, String replicaName) throws IOException {
        if (ReplicaArgument.isReplica(path)) {
            return ReplicaArgument.open(path);
        }
        if (config == null) {
            throw new ToolError("%s is not a replica URL or folder, and this replicator has no config file to look it up in".formatted(path));
        }
        return ReplicaArgument.open(ReplicaArgument.database(config, path), replicaName);
    }

    private Result restore(Map<String, Object> args) throws IOException {
        checkConfig(args);
        String path = required(args, "path");
        String txid = text(args, "txid");
        String timestamp = text(args, "timestamp");
        if (txid != null && timestamp != null) {
            throw new ToolError("cannot use txid and timestamp together: choose one target");
        }
        int parallelism = parallelism(args.get("parallelism"));
        OptionalLong target = txid == null ? OptionalLong.empty() : OptionalLong.of(Txid.parse(txid).value());
        Instant time = timestamp == null ? null : timestamp(timestamp);
        boolean isReplica = ReplicaArgument.isReplica(path);
        String o = text(args, "o");
        if (o == null && isReplica) {
            throw new ToolError("o (the output path) is required when restoring from a replica URL or folder");
        }
        Path output = ControlApi.expand(o != null ? o : path);
        if (live.owns(output)) {
            throw new ToolError("refusing to restore over %s: this process replicates it (restore to another path with o, or stop replicating it first)"
                    .formatted(output));
        }
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("path", path);
        structured.put("output", output.toString());
        if (Files.exists(output)) {
            if (Boolean.TRUE.equals(flag(args, "if_db_not_exists"))) {
                structured.put("status", "skipped");
                return new Result("database already exists, skipping\n", structured, false);
            }
            throw new ToolError("output %s already exists: the MCP restore never replaces a file (choose another o)".formatted(output));
        }
        Optional<DatabaseReplicator> running = isReplica ? Optional.empty() : live.running(ControlApi.expand(path));
        ReplicaClient opened = running.isPresent() ? null : open(path, null);
        try {
            ReplicaClient client = running.isPresent() ? runningReplica(running.get(), null) : opened;
            RestorePlan plan;
            try {
                plan = time == null ? RestorePlanner.plan(client, target) : RestorePlanner.planAt(client, time);
            } catch (NoBackupException e) {
                if (Boolean.TRUE.equals(flag(args, "if_replica_exists"))) {
                    structured.put("status", "skipped");
                    return new Result("no matching backups found, skipping\n", structured, false);
                }
                throw e;
            } catch (RestorePlanner.LegacyBackupException e) {
                throw new ToolError("replica %s holds a Litestream 0.3 backup: restore it with the restore command (litestream restore -o %s %s)"
                        .formatted(client.location(), output, path));
            }
            Restorer.Result r = Restorer.restore(client, plan,
                    RestoreOptions.of(output, plan, target.isPresent() || time != null, RestoreOptions.IntegrityCheck.NONE, false), parallelism);
            structured.put("status", "restored");
            structured.put("replica", client.location());
            structured.put("txid", Txid.format(r.txid()));
            structured.put("files", r.files());
            structured.put("bytes", r.bytes());
            structured.put("checksum_verified", r.checksumVerified());
            return new Result("restored %s to TXID %s from %d files (%d bytes)%s%n".formatted(output, Txid.format(r.txid()), r.files(), r.bytes(),
                    r.checksumVerified() ? ", database checksum verified" : ""), structured, false);
        } finally {
            if (opened != null) {
                opened.close();
            }
        }
    }

    private Result reset(Map<String, Object> args) throws IOException {
        checkConfig(args);
        Path db = ControlApi.expand(required(args, "path"));
        if (live.running(db).isPresent()) {
            throw new ToolError("refusing to reset %s: this process replicates it now (stop it first: litestream stop %s)".formatted(db, db));
        }
        if (!Files.exists(db)) {
            throw new ToolError("database does not exist: " + db);
        }
        var options = config == null ? io.litestream4j.DatabaseOptions.defaults()
                : config.database(db).map(DatabaseConfig::options).orElse(io.litestream4j.DatabaseOptions.defaults());
        Path ltx = io.litestream4j.core.Database.metaDir(db, options).resolve("ltx");
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("path", db.toString());
        structured.put("removed", ltx.toString());
        if (!Files.exists(ltx)) {
            structured.put("status", "no_state");
            structured.put("files", 0);
            return new Result("No local state to reset for %s%n".formatted(db), structured, false);
        }
        int files = ResetCommand.files(ltx).size();
        ResetCommand.deleteTree(ltx);
        structured.put("status", "reset");
        structured.put("files", files);
        return new Result("Reset local Litestream state for %s: removed %s (%d files). Next replication sync will create a fresh snapshot.%n"
                .formatted(db, ltx, files), structured, false);
    }

    // --- arguments

    /** Refuses a {@code config} other than this process's own: the tools describe the running replicator. */
    private void checkConfig(Map<String, Object> args) {
        String given = text(args, "config");
        if (given == null) {
            return;
        }
        Path want = live.configFile();
        if (want == null || !ControlApi.expand(given).equals(want)) {
            throw new ToolError("config %s: this MCP server answers for the running replicator, whose config is %s; omit config or run the command with -config"
                    .formatted(given, want == null ? "none (database given on the command line)" : want));
        }
    }

    private static String text(Map<String, Object> args, String key) {
        Object v = args.get(key);
        if (v == null) {
            return null;
        }
        String s = v.toString().strip();
        return s.isEmpty() ? null : s;
    }

    private static String required(Map<String, Object> args, String key) {
        String s = text(args, key);
        if (s == null) {
            throw new ToolError(key + " required");
        }
        return s;
    }

    private static Boolean flag(Map<String, Object> args, String key) {
        Object v = args.get(key);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        return switch (v.toString().strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false", "" -> false;
            default -> throw new ToolError("invalid %s \"%s\": want true or false".formatted(key, v));
        };
    }

    private static int parallelism(Object v) {
        if (v == null || v.toString().isBlank()) {
            return 8;
        }
        try {
            int n = v instanceof Number num ? num.intValue() : Integer.parseInt(v.toString().strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ToolError("invalid parallelism \"%s\": want a whole number, at least 1".formatted(v));
    }

    private static Instant timestamp(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new ToolError("invalid timestamp \"%s\": want RFC 3339, for example 2026-11-24T10:00:00Z".formatted(s));
        }
    }

    private static String print(TextTable table) {
        StringWriter out = new StringWriter();
        table.print(new PrintWriter(out));
        return out.toString();
    }
}
