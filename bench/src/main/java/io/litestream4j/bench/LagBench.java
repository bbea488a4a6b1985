package io.litestream4j.bench;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The data-loss window with any replica: a writer commits one-row transactions at 200/s while the
 * replicator runs with sync-interval 0 and with the 1 s default for object stores. The replica is
 * a URL of any backend on the class path ({@code gs://} with {@code STORAGE_EMULATOR_HOST} for the
 * firebase-tools emulator); each run writes under its own folder {@code <url>/run-<interval ms>}, or,
 * when the URL holds {@code %d}, to the URL with the interval in milliseconds in its place (for
 * backends without folders: {@code nats://127.0.0.1:4222/lag-%d} uses the buckets {@code lag-0}
 * and {@code lag-1000}, which must exist).
 *
 * <p>How the window is measured, conservatively: every 5 ms a marker notes the time t0 and then
 * runs a sync; every commit made before t0 is in the TXID that sync reaches (or an earlier one).
 * A poller notes when the replica's position first covers each TXID. At a random moment t, the
 * newest marker whose TXID was uploaded by t gives a commit time c (the newest commit before its
 * t0) known to be in the replica: the data-loss window at t is at most t - c.
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.litestream4j.bench.LagBench URL [SECONDS]
 * </pre>
 */
public final class LagBench {
    static final int RATE = 200;

    private LagBench() {}

    /** A source of clients for one run's replica. */
    @FunctionalInterface
    interface Clients {
        ReplicaClient open() throws Exception;
    }

    /** One run's figures: the window's percentiles (ms), the syncs (TXIDs), L0 files uploaded, and the run's length. */
    record Result(double p50, double p90, double p99, double max, long syncs, long l0Puts, double minutes) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LagBench URL [SECONDS]");
            System.exit(2);
        }
        String url = args[0].replaceAll("/+$", "");
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        System.out.printf("data-loss window, %d one-row transactions/s for %d s per run, replica %s%n%n", RATE, seconds, url);
        System.out.printf("%-14s %7s %7s %7s %7s %8s %12s%n", "sync-interval", "p50 ms", "p90 ms", "p99 ms", "max ms", "syncs", "L0 PUTs/min");
        for (Duration interval : List.of(Duration.ZERO, Duration.ofSeconds(1))) {
            String runUrl = url.contains("%d") ? url.formatted(interval.toMillis()) : url + "/run-" + interval.toMillis();
            Result r = measure(() -> ReplicaClients.open(runUrl), interval, seconds, () -> {});
            System.out.printf("%-14s %7.0f %7.0f %7.0f %7.0f %8d %12.1f%n", interval.isZero() ? "0" : interval.toSeconds() + "s", r.p50(), r.p90(),
                    r.p99(), r.max(), r.syncs(), r.l0Puts() / r.minutes());
        }
    }

    /**
     * Runs the writer for {@code seconds} against a replica from {@code clients} at
     * {@code interval}; {@code writesDone} runs the moment the last commit is made (to read
     * counters of the run).
     */
    static Result measure(Clients clients, Duration interval, int seconds, Runnable writesDone) throws Exception {
        Path dir = Files.createTempDirectory("lag");
        Path db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = wal");
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
        }
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(clients.open(), interval)),
                (Boolean.getBoolean("lag.noCompaction") || Boolean.getBoolean("s3lag.noCompaction")) ? null : CompactionSettings.defaults(), Clock.systemUTC());
        int total = RATE * seconds;
        long[] commits = new long[total];
        List<long[]> markers = new ArrayList<>(); // {t0, txid}
        long[] uploadedAt = new long[total * 4 + 1000]; // by TXID, 0 = not yet
        AtomicBoolean done = new AtomicBoolean();
        long start = System.nanoTime();

        Thread poller = Thread.ofPlatform().start(() -> {
            long seen = r.replicaPositions().getFirst();
            while (!done.get()) {
                long p = r.replicaPositions().getFirst();
                long now = System.nanoTime();
                for (long k = seen + 1; k <= p && k < uploadedAt.length; k++) {
                    uploadedAt[(int) k] = now;
                }
                seen = Math.max(seen, p);
                Thread.onSpinWait();
                try {
                    Thread.sleep(0, 200_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Thread marker = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                long t0 = System.nanoTime();
                try {
                    r.syncOnce();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                synchronized (markers) {
                    markers.add(new long[] {t0, r.database().txid()});
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                PreparedStatement ps = c.prepareStatement("INSERT INTO t (v) VALUES (randomblob(100))")) {
            c.createStatement().execute("PRAGMA busy_timeout = 5000");
            for (int i = 0; i < total; i++) {
                long due = start + i * 1_000_000_000L / RATE;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                ps.executeUpdate();
                commits[i] = System.nanoTime();
            }
        }
        long end = System.nanoTime();
        writesDone.run();
        Instant endWall = Instant.now();
        Thread.sleep(interval.toMillis() + 500); // let the last uploads land before the poller stops
        done.set(true);
        marker.join();
        poller.join();
        long syncs = r.database().txid();
        long l0Puts;
        try (ReplicaClient client = clients.open()) {
            l0Puts = client.listFiles(0, 0).stream().filter(f -> f.minTxid() > 1 && f.createdAt().isBefore(endWall)).count();
        }
        r.stop(Duration.ofSeconds(30));
        r.close();
        for (var replica : r.replicaClients()) {
            replica.close(); // ours: the replicator does not close the clients it is given
        }

        // Sample moments after a 5 s warm-up.
        Random random = new Random(42);
        long from = start + 5_000_000_000L;
        double[] windows = new double[2000];
        long[][] ms;
        synchronized (markers) {
            ms = markers.toArray(new long[0][]);
        }
        for (int s = 0; s < windows.length; s++) {
            long t = from + (long) (random.nextDouble() * (end - from));
            long safeT0 = Long.MIN_VALUE;
            for (long[] m : ms) {
                long up = m[1] < uploadedAt.length ? uploadedAt[(int) m[1]] : 0;
                if (m[0] <= t && up != 0 && up <= t && m[0] > safeT0) {
                    safeT0 = m[0];
                }
            }
            long newestSafe = Long.MIN_VALUE;
            for (long c : commits) {
                if (c != 0 && c < safeT0 && c <= t) {
                    newestSafe = Math.max(newestSafe, c);
                }
            }
            windows[s] = (t - newestSafe) / 1e6;
            if (Boolean.getBoolean("lag.debug") && windows[s] > 60) {
                System.out.printf("  %.0f ms at %s%n", windows[s], java.time.Instant.now().minusNanos(System.nanoTime() - t));
            }
        }
        Arrays.sort(windows);
        return new Result(windows[windows.length / 2], windows[(int) (windows.length * 0.9)], windows[(int) (windows.length * 0.99)],
                windows[windows.length - 1], syncs, l0Puts, (end - start) / 60e9);
    }
}
