package io.litestream4j.cli;

import io.litestream4j.NoBackupException;
import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.ReplicaConfig;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream replicate [DB_PATH REPLICA_URL]}: replicates one database named on the
 * command line, or every database of the config file, until SIGINT or SIGTERM; then syncs a last
 * time, waits for the replicas to catch up, and exits 0.
 */
@Command(name = "replicate", description = "runs a server to replicate databases",
        synopsisHeading = "%nUsage: ", customSynopsis = {
            "litestream replicate [-config PATH] [-no-expand-env] [-exec CMD] [-restore-if-db-not-exists] [-once [-force-snapshot] [-enforce-retention]] [-log-level LEVEL]",
            "litestream replicate [flags] DB_PATH REPLICA_URL"})
final class ReplicateCommand implements Callable<Integer> {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DB_PATH", description = "the SQLite database to replicate (default: those of the config file)")
    Path dbPath;

    @Parameters(index = "1", arity = "0..1", paramLabel = "REPLICA_URL", description = "where to replicate it: a URL (file://, s3://, ...) or a plain path")
    String replicaUrl;

    @Option(names = {"-once", "--once"}, description = "sync once, upload, and exit")
    boolean once;

    @Option(names = {"-force-snapshot", "--force-snapshot"}, description = "with -once: also write a snapshot (level 9) of the newest state")
    boolean forceSnapshot;

    @Option(names = {"-enforce-retention", "--enforce-retention"}, description = "with -once: also delete what the retention rules allow")
    boolean enforceRetention;

    @Option(names = {"-exec", "--exec"}, paramLabel = "CMD",
            description = "start CMD once replication runs, pass it SIGINT/SIGTERM, and exit with its status after a final sync")
    String exec;

    @Option(names = {"-restore-if-db-not-exists", "--restore-if-db-not-exists"},
            description = "restore a missing database from its replica (the one with the newest data) before replicating it")
    boolean restoreIfDbNotExists;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    CommonOptions common;

    /**
     * Each database's replicas' configured names (the type for a URL given on the command line),
     * in destination order, by absolute database path: a metrics label. Not keyed by location,
     * which can change once a replica's folder exists (a trailing slash).
     */
    private final java.util.Map<Path, List<String>> replicaNames = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * How to make each database's target again, by absolute path: a database stopped through the
     * control socket is started from it, and {@code register} adds to it.
     */
    private final java.util.Map<Path, DatabaseWait.TargetMaker> makers = new java.util.concurrent.ConcurrentHashMap<>();

    /** The config's compaction settings (Litestream's defaults without a config), each replica's own where it has them. */
    private CompactionSettings compaction;

    @Override
    public Integer call() throws Exception {
        if ((forceSnapshot || enforceRetention) && !once) {
            throw new IllegalArgumentException("-force-snapshot and -enforce-retention need -once");
        }
        if ((dbPath == null) != (replicaUrl == null)) {
            throw new IllegalArgumentException("give DB_PATH and REPLICA_URL together, or neither to replicate the databases of the config file");
        }
        Config config = null;
        if (dbPath == null) {
            config = configOptions.load();
        } else if (configOptions.config != null) {
            throw new IllegalArgumentException("-config cannot be combined with DB_PATH REPLICA_URL: choose one");
        }
        common.configureLogging(spec.commandLine(), config);
        String command = exec != null ? exec : config != null ? config.exec() : null;
        if (command != null && once) {
            throw new IllegalArgumentException("-once cannot be combined with -exec (or the config's exec)");
        }
        if (command != null) {
            ChildProcess.check(command); // a malformed command or a missing program fails before anything starts
        }
        compaction = config != null ? config.compaction() : CompactionSettings.defaults();
        Duration shutdownTimeout = config != null ? config.shutdownSyncTimeout() : Duration.ofSeconds(30);
        Duration leaseTtl = Replication.leaseTtl(System.getenv());
        // Installed before anything starts: a SIGTERM during start-up still gets a clean stop.
        CountDownLatch signalled = new CountDownLatch(1);
        AtomicReference<String> signal = new AtomicReference<>();
        if (!once) {
            Signals.onTermination(name -> {
                signal.compareAndSet(null, name);
                signalled.countDown();
            });
        }
        List<Replication.Target> targets = new ArrayList<>();
        List<DatabaseWait.Awaited> awaited = new ArrayList<>();
        if (config != null) {
            for (DatabaseConfig db : config.allDatabases()) {
                place(() -> target(db), targets, awaited);
            }
        } else {
            place(() -> target(dbPath, replicaUrl), targets, awaited);
        }
        List<io.litestream4j.cli.config.DirectoryConfig> watched = config == null ? List.of()
                : config.directories().stream().filter(io.litestream4j.cli.config.DirectoryConfig::watch).toList();
        if (targets.isEmpty() && watched.isEmpty() && awaited.isEmpty()) {
            throw new IllegalArgumentException("config %s: no databases to replicate (dbs: lists none, and no directory holds a match)"
                    .formatted(config.file()));
        }
        String addr = config != null ? config.addr() : null;
        AtomicReference<Replication> started = new AtomicReference<>();
        Supplier<List<DatabaseReplicator>> running = () -> started.get() == null ? List.of() : started.get().replicators();
        Metrics metrics = addr != null ? new Metrics(running, db -> replicaNames.get(db.toAbsolutePath().normalize())) : null;
        String mcpAddr = config != null ? config.mcpAddr() : null;
        LiveStatus live = new LiveStatus(started::get, db -> replicaNames.get(Replication.absolute(db)), config != null ? config.file() : null,
                "v" + VersionCommand.version(), Clock.systemUTC());
        // Bound before replication starts: a port in use fails the start, not a running service.
        try (MetricsServer server = addr != null ? MetricsServer.start(addr, metrics, running, new StatusPage(live)) : null;
                AutoCloseable mcp = mcpAddr != null && !once ? McpEndpoint.start(mcpAddr, new McpTools(live, config), live.version()) : null;
                Replication replication = Replication.start(targets, db -> watchedCovers(watched, db), compaction, Clock.systemUTC(),
                        metrics != null ? metrics : io.litestream4j.ReplicationEvents.NONE, leaseTtl)) {
            started.set(replication);
            DirectoryWatch directoryWatch = watched.isEmpty() || once ? null : new DirectoryWatch(watched, replication, this::target);
            DatabaseWait databaseWait = awaited.isEmpty() ? null : new DatabaseWait(awaited, replication);
            Heartbeat heartbeat = config == null || config.heartbeatUrl() == null || once ? null
                    : new Heartbeat(config.heartbeatUrl(), config.heartbeatInterval(), running);
            ControlSocket control = config != null && config.socket().enabled() && !once
                    ? ControlSocket.start(config.socket().path(), config.socket().permissions(),
                            new ControlApi(replication, controlTargets(), "v" + VersionCommand.version(), Clock.systemUTC()))
                    : null;
            LevelValidation validation = config == null || once ? null : levelValidation(config, running, metrics);
            Runnable stopWatching = () -> {
                if (validation != null) {
                    validation.close();
                }
                if (control != null) {
                    control.close(); // no request starts or stops a database while they all stop
                }
                if (directoryWatch != null) {
                    directoryWatch.close(); // no database joins while the others stop
                }
                if (databaseWait != null) {
                    databaseWait.close();
                }
            };
            try {
                return replicateUntilDone(replication, command, signalled, signal, stopWatching, shutdownTimeout, compaction);
            } finally {
                stopWatching.run();
                if (heartbeat != null) {
                    heartbeat.close();
                }
            }
        }
    }

    /** Whether a database lies in a watched directory, whose watch retries it if its start fails. */
    private boolean watchedCovers(List<io.litestream4j.cli.config.DirectoryConfig> watched, Path db) {
        return !once && watched.stream().anyMatch(d -> d.covers(db));
    }

    private int replicateUntilDone(Replication replication, String command, CountDownLatch signalled, AtomicReference<String> signal,
            Runnable stopWatching, Duration shutdownTimeout, CompactionSettings compaction) throws IOException, InterruptedException {
        if (command != null) {
            return runApplication(command, replication, signalled, signal, stopWatching, shutdownTimeout);
        }
        if (!once) {
            signalled.await();
            LOG.log(System.Logger.Level.INFO, "signal received, litestream shutting down");
        }
        stopWatching.run();
        boolean caughtUp = replication.stop(shutdownTimeout);
        if (caughtUp && (forceSnapshot || enforceRetention)) {
            for (DatabaseReplicator r : replication.replicators()) {
                for (DatabaseReplicator.Destination d : r.destinations()) {
                    ReplicaCompactor compactor = new ReplicaCompactor(d.client(), r.database().metaDir().resolve("tmp"));
                    if (forceSnapshot) {
                        compactor.snapshot();
                    }
                    if (enforceRetention) {
                        compactor.enforceRetention(Clock.systemUTC().instant(), d.compaction() != null ? d.compaction() : compaction);
                    }
                }
            }
        }
        LOG.log(System.Logger.Level.INFO, "litestream shut down");
        return caughtUp ? 0 : 1;
    }

    /**
     * Runs the application until it exits, or until a signal, which it is sent too; then the
     * final sync. The exit status is the application's.
     */
    private static int runApplication(String command, Replication replication, CountDownLatch signalled, AtomicReference<String> signal,
            Runnable stopWatching, Duration shutdownTimeout) throws IOException, InterruptedException {
        ChildProcess child = ChildProcess.start(command);
        Thread.ofVirtual().name("exec wait").start(() -> {
            try {
                child.waitFor();
            } catch (InterruptedException ignored) {
                // the command is ending anyway
            }
            signalled.countDown();
        });
        signalled.await();
        if (signal.get() != null) {
            LOG.log(System.Logger.Level.INFO, "signal received, litestream shutting down");
            child.forward(signal.get());
        }
        int code = child.waitFor();
        stopWatching.run();
        if (!replication.stop(shutdownTimeout)) {
            LOG.log(System.Logger.Level.WARNING, "a replica did not take the last changes within {0}", shutdownTimeout);
        }
        LOG.log(System.Logger.Level.INFO, "litestream shut down");
        return code;
    }

    /** The configured level checks ({@code validation}, {@code verify-compaction}) of every running replica; null if none. */
    private LevelValidation levelValidation(Config config, Supplier<List<DatabaseReplicator>> running, Metrics metrics) {
        List<LevelValidation.Check> checks = new ArrayList<>();
        if (config.validationInterval() != null) {
            checks.add(new LevelValidation.Check(LevelValidation.VALIDATION, 0, 3, config.validationInterval()));
        }
        if (config.verifyCompaction()) {
            checks.add(new LevelValidation.Check(LevelValidation.COMPACTION_VERIFY, 1, compaction.maxLevel(), compaction.interval(1)));
        }
        if (checks.isEmpty()) {
            return null;
        }
        return new LevelValidation(() -> {
            List<LevelValidation.Checked> all = new ArrayList<>();
            for (DatabaseReplicator r : running.get()) {
                for (int i = 0; i < r.destinations().size(); i++) {
                    all.add(new LevelValidation.Checked(r.database().path(), r.destinations().get(i).client(), r.replicaHealths().get(i)));
                }
            }
            return all;
        }, metrics != null ? metrics::levelCheckFailed : (db, check) -> { }, checks);
    }

    /** The control socket's view of {@link #makers}: {@code register} remembers a URL's target there. */
    private ControlApi.Targets controlTargets() {
        return new ControlApi.Targets() {
            @Override
            public DatabaseWait.TargetMaker known(Path db) {
                return makers.get(Replication.absolute(db));
            }

            @Override
            public DatabaseWait.TargetMaker register(Path db, String replicaUrl) throws IOException {
                ReplicaClients.factory(replicaUrl); // an unknown scheme fails here, as a bad request
                DatabaseWait.TargetMaker maker = () -> target(db, replicaUrl);
                makers.put(Replication.absolute(db), maker);
                return maker;
            }

            @Override
            public void forget(Path db) {
                makers.remove(Replication.absolute(db));
            }
        };
    }

    private Replication.Target target(Path db, String url) throws IOException {
        makers.putIfAbsent(Replication.absolute(db), () -> target(db, url));
        ReplicaClient client = ReplicaClients.open(url);
        replicaNames.put(db.toAbsolutePath().normalize(), List.of(client.type()));
        if (restoreIfDbNotExists) {
            restoreIfMissing(db, client);
        }
        return new Replication.Target(db, DatabaseOptions.defaults(), List.of(new DatabaseReplicator.Destination(client, ReplicaClients.factory(url).defaultSyncInterval())));
    }

    /**
     * Makes a database's target now, so a wrong replica setting fails the start and a missing
     * database is restored if asked; a database that still does not exist is waited for (not with
     * {@code -once}, which has nothing to sync: there its absence is the start's error).
     */
    private void place(DatabaseWait.TargetMaker maker, List<Replication.Target> targets, List<DatabaseWait.Awaited> awaited) throws IOException {
        Replication.Target t = maker.make();
        if (once || Files.exists(t.db())) {
            targets.add(t);
        } else {
            Replication.closeQuietly(t.destinations());
            awaited.add(new DatabaseWait.Awaited(t.db(), maker));
        }
    }

    /** A configured database's target: restored first if it is missing and that is asked for. */
    private Replication.Target target(DatabaseConfig db) throws IOException {
        makers.putIfAbsent(Replication.absolute(db.path()), () -> target(db));
        if ((restoreIfDbNotExists || db.restoreIfDbNotExists()) && !Files.exists(db.path())) {
            try (ReplicaClient newest = ReplicaArgument.open(db, null)) {
                restoreIfMissing(db.path(), newest);
            }
        }
        List<DatabaseReplicator.Destination> destinations = new ArrayList<>();
        try {
            for (ReplicaConfig r : db.replicas()) {
                if (r.age() != null && !r.age().canWrite()) {
                    throw new IOException(r.where() + "replica \"" + r.name() + "\": age has identities but no recipients: replicate would have "
                            + "to store files unencrypted; add recipients (age1..., or recipients-file) or use this config only to restore");
                }
                ReplicaClient client = r.open();
                destinations.add(new DatabaseReplicator.Destination(client, r.effectiveSyncInterval(), r.compaction(compaction)));
            }
        } catch (IOException | RuntimeException e) {
            for (DatabaseReplicator.Destination d : destinations) {
                d.client().close();
            }
            throw e;
        }
        replicaNames.put(db.path().toAbsolutePath().normalize(), db.replicas().stream().map(ReplicaConfig::name).toList());
        return new Replication.Target(db.path(), db.options(), destinations);
    }

    /** Restores {@code db} from {@code client} if the file is missing and the replica has a backup. */
    private static void restoreIfMissing(Path db, ReplicaClient client) throws IOException {
        if (Files.exists(db)) {
            return;
        }
        try {
            var plan = RestorePlanner.plan(client, OptionalLong.empty());
            var result = Restorer.restore(client, plan, new RestoreOptions(db, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false));
            LOG.log(System.Logger.Level.INFO, "{0} did not exist: restored from {1} to TXID {2}", db, client.location(),
                    io.litestream4j.ltx.Txid.format(result.txid()));
        } catch (NoBackupException e) {
            LOG.log(System.Logger.Level.INFO, "{0} does not exist and {1} has no backup: nothing to restore", db, client.location());
        }
    }
}
