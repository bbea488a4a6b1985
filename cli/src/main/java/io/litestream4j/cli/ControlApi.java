package io.litestream4j.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.ReplicaFailedException;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicaStatus;
import io.litestream4j.core.ReplicationTimeoutException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control socket's endpoints, with Litestream 0.5's paths, JSON shapes and status codes
 * ({@code server.go}): {@code POST /start}, {@code /stop}, {@code /sync}, {@code /register},
 * {@code /unregister}; {@code GET /list}, {@code /info}, {@code /txid?path=}. Errors are
 * {@code {"error": ..., "details": ...}} with 400 (bad request), 404 (unknown database for
 * {@code /sync} and {@code /txid}), 409 (a stopped database for {@code /sync}) or 500.
 *
 * <p>{@code /sync} with {@code wait} answers only once every replica holds everything committed
 * before the request (the library's {@code awaitReplicated}), or fails with the replica that did
 * not take it: a deploy script may shut the machine down after a 200.
 */
final class ControlApi implements ControlSocket.Handler {
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int DEFAULT_TIMEOUT_SECONDS = 30;

    /** How the replicate command makes a database's target: from its config, or from a replica URL given by {@code /register}. */
    interface Targets {
        /** The target of a database this process knows (configured or registered), or null. */
        DatabaseWait.TargetMaker known(Path db);

        /** A target replicating {@code db} to {@code replicaUrl}, remembered for later starts. */
        DatabaseWait.TargetMaker register(Path db, String replicaUrl) throws IOException;

        /** Forgets a registered database's target. */
        void forget(Path db);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PathRequest(String path, Integer timeout, @JsonProperty("wait") Boolean waitForReplicas, @JsonProperty("replica_url") String replicaUrl) {}

    record StateResponse(String status, String path, long txid) {}

    record SyncResponse(String status, String path, long txid, @JsonProperty("replicated_txid") long replicatedTxid) {}

    record RegisterResponse(String status, String path) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DatabaseSummary(String path, String status, @JsonProperty("last_sync_at") String lastSyncAt) {}

    record ListResponse(List<DatabaseSummary> databases) {}

    record InfoResponse(String version, long pid, @JsonProperty("uptime_seconds") long uptimeSeconds,
            @JsonProperty("started_at") String startedAt, @JsonProperty("database_count") int databaseCount) {}

    record TxidResponse(long txid) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ErrorResponse(String error, Object details) {}

    private static final class Failure extends RuntimeException {
        final int status;
        final Object details;

        Failure(int status, String message, Object details) {
            super(message);
            this.status = status;
            this.details = details;
        }
    }

    private final Replication replication;
    private final Targets targets;
    private final String version;
    private final Clock clock;
    private final Instant startedAt;
    private final Object changes = new Object();

    ControlApi(Replication replication, Targets targets, String version, Clock clock) {
        this.replication = replication;
        this.targets = targets;
        this.version = version;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    @Override
    public ControlSocket.Response handle(ControlSocket.Request r) {
        try {
            Object answer = switch (r.method() + " " + r.path()) {
                case "POST /start" -> changing(() -> start(body(r)));
                case "POST /stop" -> changing(() -> stop(body(r)));
                case "POST /sync" -> sync(body(r));
                case "POST /register" -> changing(() -> register(body(r)));
                case "POST /unregister" -> changing(() -> unregister(body(r)));
                case "GET /list" -> list();
                case "GET /info" -> info();
                case "GET /txid" -> txid(query(r.query(), "path"));
                default -> throw new Failure(known(r.path()) ? 405 : 404,
                        known(r.path()) ? "method %s not allowed on %s".formatted(r.method(), r.path()) : "no endpoint " + r.path(), null);
            };
            return new ControlSocket.Response(200, json(answer));
        } catch (Failure f) {
            return new ControlSocket.Response(f.status, error(f.getMessage(), f.details));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ControlSocket.Response(500, error("interrupted: litestream is shutting down", null));
        }
    }

    private interface Change {
        Object run() throws InterruptedException;
    }

    /**
     * Runs a request that starts or stops databases alone: two at once could otherwise both find
     * a database stopped and start two replicators of it. Syncs, lists and reads do not wait.
     */
    private Object changing(Change change) throws InterruptedException {
        synchronized (changes) {
            return change.run();
        }
    }

    private static boolean known(String path) {
        return List.of("/start", "/stop", "/sync", "/register", "/unregister", "/list", "/info", "/txid").contains(path);
    }

    static byte[] error(String message, Object details) {
        return json(new ErrorResponse(message, details));
    }

    private static byte[] json(Object value) {
        try {
            return (JSON.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The request's JSON body, with a path: 400 otherwise, as Litestream answers. */
    private static PathRequest body(ControlSocket.Request r) {
        PathRequest req;
        try {
            req = JSON.readValue(r.body(), PathRequest.class);
        } catch (IOException e) {
            throw new Failure(400, "invalid request body", e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
        }
        if (req == null || req.path() == null || req.path().isEmpty()) {
            throw new Failure(400, "path required", null);
        }
        return req;
    }

    private static String query(String query, String name) {
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                String value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (!value.isEmpty()) {
                    return value;
                }
            }
        }
        throw new Failure(400, name + " required", null);
    }

    /** A request's path as the daemon names its databases: {@code ~} expanded, absolute, normalised. */
    static Path expand(String path) {
        String p = path;
        if (p.equals("~") || p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        return Replication.absolute(Path.of(p));
    }

    private static Duration timeout(PathRequest req) {
        return Duration.ofSeconds(req.timeout() != null && req.timeout() > 0 ? req.timeout() : DEFAULT_TIMEOUT_SECONDS);
    }

    private Object start(PathRequest req) {
        Path db = expand(req.path());
        Optional<DatabaseReplicator> running = replication.find(db);
        if (running.isPresent()) {
            return new StateResponse("already_running", db.toString(), running.get().database().txid());
        }
        DatabaseWait.TargetMaker maker = targets.known(db);
        if (maker == null) {
            throw new Failure(500, "database not found: " + db, null);
        }
        try {
            replication.startOne(maker.make());
        } catch (IOException | RuntimeException e) {
            throw new Failure(500, ReplicaHealth.describe(e), null);
        }
        return new StateResponse("started", db.toString(), replication.find(db).map(r -> r.database().txid()).orElse(0L));
    }

    private Object stop(PathRequest req) throws InterruptedException {
        Path db = expand(req.path());
        Optional<DatabaseReplicator> running = replication.find(db);
        if (running.isEmpty()) {
            Long txid = replication.stopped().get(db);
            if (txid == null) {
                throw new Failure(500, "database not found: " + db, null);
            }
            return new StateResponse("already_stopped", db.toString(), txid);
        }
        try {
            return new StateResponse("stopped", db.toString(), replication.stopOne(running.get(), timeout(req)));
        } catch (IOException e) {
            throw new Failure(500, ReplicaHealth.describe(e), null);
        }
    }

    private Object sync(PathRequest req) throws InterruptedException {
        Path db = expand(req.path());
        Optional<DatabaseReplicator> found = replication.find(db);
        if (found.isEmpty()) {
            throw replication.stopped().containsKey(db) ? new Failure(409, "database not open: " + db, null)
                    : new Failure(404, "database not found: " + db, null);
        }
        DatabaseReplicator r = found.get();
        boolean wait = Boolean.TRUE.equals(req.waitForReplicas());
        long before = r.database().txid();
        long txid;
        try {
            txid = wait ? r.awaitReplicated(timeout(req)) : r.syncNow();
        } catch (ReplicationTimeoutException | ReplicaFailedException e) {
            throw new Failure(500, "sync database: " + e.getMessage(), null);
        } catch (IOException | RuntimeException e) {
            throw new Failure(500, "sync database: " + ReplicaHealth.describe(e), null);
        }
        String status = Long.compareUnsigned(txid, before) <= 0 ? "no_change" : wait ? "synced" : "synced_local";
        return new SyncResponse(status, db.toString(), txid, replicated(r));
    }

    /** The TXID every replica holds: the lowest of their positions. */
    private static long replicated(DatabaseReplicator r) {
        return r.replicaPositions().stream().reduce((a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b).orElse(0L);
    }

    private Object register(PathRequest req) {
        if (req.replicaUrl() == null || req.replicaUrl().isEmpty()) {
            throw new Failure(400, "replica_url required", null);
        }
        Path db = expand(req.path());
        if (replication.find(db).isPresent() || replication.stopped().containsKey(db) || targets.known(db) != null) {
            return new RegisterResponse("already_registered", db.toString());
        }
        DatabaseWait.TargetMaker maker;
        try {
            maker = targets.register(db, req.replicaUrl());
        } catch (IOException | RuntimeException e) {
            throw new Failure(400, "invalid replica url: " + ReplicaHealth.describe(e), null);
        }
        try {
            replication.startOne(maker.make());
        } catch (IOException | RuntimeException e) {
            targets.forget(db);
            throw new Failure(500, "failed to register database: " + ReplicaHealth.describe(e), null);
        }
        return new RegisterResponse("registered", db.toString());
    }

    private Object unregister(PathRequest req) throws InterruptedException {
        Path db = expand(req.path());
        Optional<DatabaseReplicator> running = replication.find(db);
        Long stoppedAt = replication.stopped().get(db);
        long txid = 0;
        String status = "already_unregistered";
        if (running.isPresent()) {
            try {
                txid = replication.stopOne(running.get(), timeout(req));
            } catch (IOException e) {
                throw new Failure(500, "failed to unregister database: " + ReplicaHealth.describe(e), null);
            }
            status = "unregistered";
        } else if (stoppedAt != null) {
            txid = stoppedAt;
            status = "unregistered";
        }
        replication.forget(db);
        targets.forget(db);
        return new StateResponse(status, db.toString(), txid);
    }

    private Object list() {
        List<DatabaseSummary> out = new ArrayList<>();
        for (DatabaseReplicator r : replication.replicators()) {
            out.add(new DatabaseSummary(Replication.absolute(r.database().path()).toString(), "replicating", lastSync(r.replicaStatuses())));
        }
        for (Map.Entry<Path, Long> e : replication.stopped().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            out.add(new DatabaseSummary(e.getKey().toString(), "stopped", null));
        }
        return new ListResponse(out);
    }

    /** When every replica last took an upload: the earliest of their last uploads; null while one has none yet. */
    static String lastSync(List<ReplicaStatus> replicas) {
        if (replicas.isEmpty() || replicas.stream().anyMatch(s -> s.lastUploadMillis() == 0)) {
            return null;
        }
        return Instant.ofEpochMilli(replicas.stream().mapToLong(ReplicaStatus::lastUploadMillis).min().orElseThrow()).toString();
    }

    private Object info() {
        return new InfoResponse(version, ProcessHandle.current().pid(), Duration.between(startedAt, clock.instant()).toSeconds(), startedAt.toString(),
                replication.replicators().size() + replication.stopped().size());
    }

    private Object txid(String path) {
        Path db = expand(path);
        Optional<DatabaseReplicator> r = replication.find(db);
        if (r.isPresent()) {
            return new TxidResponse(r.get().database().txid());
        }
        Long stopped = replication.stopped().get(db);
        if (stopped == null) {
            throw new Failure(404, "database not found", null);
        }
        return new TxidResponse(stopped);
    }
}
