package io.litestream4j.cli;

import io.litestream4j.core.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.compaction.CompactionSettings;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream replicate DB_PATH REPLICA_URL}: replicates one database until SIGINT or
 * SIGTERM, then syncs a last time, waits for the replica to catch up, and exits 0.
 */
@Command(name = "replicate", description = "runs a server to replicate databases",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream replicate [-once [-force-snapshot] [-enforce-retention]] [-log-level LEVEL] DB_PATH REPLICA_URL")
final class ReplicateCommand implements Callable<Integer> {
    private static final Duration SHUTDOWN_SYNC_TIMEOUT = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH", description = "the SQLite database to replicate")
    Path dbPath;

    @Parameters(index = "1", paramLabel = "REPLICA_URL", description = "where to replicate it: file:///path or a plain path")
    String replicaUrl;

    @Option(names = {"-once", "--once"}, description = "sync once, upload, and exit")
    boolean once;

    @Option(names = {"-force-snapshot", "--force-snapshot"}, description = "with -once: also write a snapshot (level 9) of the newest state")
    boolean forceSnapshot;

    @Option(names = {"-enforce-retention", "--enforce-retention"}, description = "with -once: also delete what the retention rules allow")
    boolean enforceRetention;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        common.configureLogging(spec.commandLine().getErr());
        if ((forceSnapshot || enforceRetention) && !once) {
            throw new IllegalArgumentException("-force-snapshot and -enforce-retention need -once");
        }
        CompactionSettings compaction = CompactionSettings.defaults();
        // Installed before anything starts: a SIGTERM during start-up still gets a clean stop.
        CountDownLatch signalled = new CountDownLatch(1);
        if (!once) {
            Signals.onTermination(signalled::countDown);
        }
        ReplicaClient client = ReplicaClients.open(replicaUrl);
        DatabaseReplicator replicator;
        try {
            replicator = DatabaseReplicator.start(dbPath, DatabaseOptions.defaults(), List.of(new DatabaseReplicator.Destination(client, client.defaultSyncInterval())), compaction,
                    Clock.systemUTC());
        } catch (NoSuchFileException e) {
            client.close();
            throw new IOException("database %s does not exist".formatted(dbPath.toAbsolutePath()), e);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        try {
            if (!once) {
                signalled.await();
                System.getLogger("litestream").log(System.Logger.Level.INFO, "signal received, litestream shutting down");
            }
            boolean caughtUp = replicator.stop(SHUTDOWN_SYNC_TIMEOUT);
            if (caughtUp && (forceSnapshot || enforceRetention)) {
                ReplicaCompactor compactor = new ReplicaCompactor(client, replicator.database().metaDir().resolve("tmp"));
                if (forceSnapshot) {
                    compactor.snapshot();
                }
                if (enforceRetention) {
                    compactor.enforceRetention(Clock.systemUTC().instant(), compaction);
                }
            }
            System.getLogger("litestream").log(System.Logger.Level.INFO, "litestream shut down");
            return caughtUp ? 0 : 1;
        } finally {
            replicator.close();
        }
    }
}
