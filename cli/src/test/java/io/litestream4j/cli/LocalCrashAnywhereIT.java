package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.litestream4j.core.Soak;
import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash anywhere on the local side: the real replicator runs under {@code strace}, which kills
 * it (SIGKILL) at the Nth {@code fsync}/{@code fdatasync}, the Nth {@code rename}, or the Nth
 * {@code write} of one of its threads, or makes the Nth fsync fail with EIO; N is swept. Those are
 * the points where a crash can leave the local state folder (L0 files written through a temporary
 * name, fsync, rename), the replica folder and the database's own checkpoint half done. While an
 * application commits numbered rows 1, 2, 3..., after every crash:
 * <ul>
 *   <li>the replica restores to exactly rows 1..k for some k not above what was committed, with
 *       integrity_check ok (a prefix of the committed transactions, never a corrupt database);</li>
 *   <li>the next replicator starts on what the crash left (each run is the previous run's
 *       restart), and at the end a clean run catches up: the restore equals the source.</li>
 * </ul>
 * strace counts calls per thread, so "the Nth" is the Nth of whichever thread gets there first:
 * a spread of crash points rather than an exact order, which is why N is swept until a run ends
 * without reaching it. A process kill loses nothing the kernel already has; power loss (unsynced
 * pages lost) is not simulated here.
 */
class LocalCrashAnywhereIT {
    private static final String FSYNC = "fsync,fdatasync";
    private static final String RENAME = "rename,renameat,renameat2";
    private static final String WRITE = "write,pwrite64,writev,pwritev";
    /** Short form in CI; every N with {@code -Psoak}. */
    private static final List<Integer> SYNC_POINTS = Soak.enabled() ? IntStream.rangeClosed(1, 40).boxed().toList() : List.of(3, 16);
    private static final List<Integer> RENAME_POINTS = Soak.enabled() ? IntStream.rangeClosed(1, 40).boxed().toList() : List.of(1, 4, 16);
    private static final List<Integer> WRITE_POINTS = Soak.enabled() ? List.of(1, 3, 10, 30, 100, 300, 1000, 3000) : List.of(300);
    private static final List<Integer> EIO_POINTS = Soak.enabled() ? IntStream.rangeClosed(1, 12).boxed().toList() : List.of(4);
    /** Under strace the JVM starts in 2-4 s alone, far slower at load 15: a run that has not crashed by then never will. */
    private static final Duration RUN_PATIENCE = Duration.ofSeconds(45);

    @TempDir
    Path dir;

    private Path db;
    private Path replica;
    private Path config;
    private final AtomicLong committed = new AtomicLong();
    private long lastRestored;

    @Test
    @Timeout(value = 4, unit = TimeUnit.HOURS) // the soak form's bound; the CI form has 10 minutes, below
    void aCrashAtAnyFsyncRenameOrWriteLeavesARestorablePrefixAndTheNextStartCatchesUp() {
        // CI: 7 runs of a JVM under strace plus a restore each, about 2 min at load 10. Soak
        // (-Psoak): 100 runs, 12.5 min on a quiet machine, over 60 min at load 15-20.
        assertTimeoutPreemptively(Duration.ofMinutes(Soak.pick(10, 240)), this::sweep);
    }

    private void sweep() throws Exception {
        requireStrace();
        db = dir.resolve("app.db");
        replica = dir.resolve("replica");
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "CREATE TABLE rows (seq INTEGER PRIMARY KEY, payload BLOB)");
        }
        // Short intervals so that a few seconds hold many uploads, checkpoints and a compaction.
        config = CliProcess.writeConfig(dir, """
                levels:
                  - interval: 2s
                snapshot:
                  interval: 4s
                  retention: 1h
                dbs:
                  - path: %s
                    checkpoint-interval: 1s
                    replicas:
                      - url: file://%s
                        sync-interval: 100ms
                """.formatted(db, replica));
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread writer = Thread.ofPlatform().name("numbered rows").start(() -> write(stop, errors));
        List<String> report = new ArrayList<>();
        int crashes = 0;
        int runs = 0;
        try {
            for (var sweep : List.of(new Sweep(FSYNC, "signal=KILL", SYNC_POINTS), new Sweep(RENAME, "signal=KILL", RENAME_POINTS),
                    new Sweep(WRITE, "signal=KILL", WRITE_POINTS), new Sweep(FSYNC, "error=EIO", EIO_POINTS))) {
                for (int n : sweep.points()) {
                    runs++;
                    boolean reached = runOnce(sweep, n);
                    long k = restoreAndCheckPrefix("after-" + runs + ".db");
                    Files.deleteIfExists(dir.resolve("after-" + runs + ".db"));
                    report.add("%s %s at %d: %s, restored 1..%d of %d".formatted(sweep.syscalls(), sweep.action(), n,
                            !reached ? "not reached" : sweep.action().startsWith("signal") ? "killed" : "failed, then killed", k, committed.get()));
                    if (!reached) {
                        break; // a larger N is not reached either
                    }
                    crashes++;
                }
            }
        } finally {
            stop.set(true);
            assertThat(writer.join(Duration.ofSeconds(60))).as("writer stopped").isTrue();
        }
        assertThat(errors).as("application errors").isEmpty();
        assertThat(crashes).as("crashes injected: %s", report).isGreaterThanOrEqualTo(5);

        CliProcess clean = CliProcess.start(dir, "replicate", "-config", config.toString());
        assertThat(clean.awaitLog("replicating to", Duration.ofSeconds(120))).as(clean.output().toString()).isTrue();
        clean.terminate();
        CliProcess.Result r = clean.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        long k = restoreAndCheckPrefix("final.db");
        assertThat(k).as("the clean run caught up with every commit").isEqualTo(committed.get());
        assertThat(TestDb.digest(dir.resolve("final.db"))).isEqualTo(TestDb.digest(db));
        System.out.printf("LocalCrashAnywhereIT: %d runs, %d crashes injected, %d transactions, 0 corrupt or lossy restores%n  %s%n", runs,
                crashes, committed.get(), String.join("\n  ", report));
    }

    private record Sweep(String syscalls, String action, List<Integer> points) {}

    /** One replicator run under strace; true if the injection happened (the process was killed, or an fsync failed). */
    private boolean runOnce(Sweep sweep, int n) throws Exception {
        Path trace = Files.createTempFile(dir, "strace", ".txt");
        List<String> strace = List.of("strace", "-f", "-qq", "-o", trace.toString(), "-e", "trace=" + sweep.syscalls(), "-e",
                "inject=%s:%s:when=%d".formatted(sweep.syscalls(), sweep.action(), n));
        CliProcess p = CliProcess.startUnder(strace, Map.of(), dir, "replicate", "-config", config.toString());
        try {
            if (sweep.action().startsWith("signal")) {
                if (!p.awaitExit(RUN_PATIENCE)) {
                    return false;
                }
                CliProcess.Result r = p.output();
                // strace ends the way its tracee did: 128 + SIGKILL. Any other end is a replicator that
                // refused to start on what the previous crash left: a failure.
                assertThat(r.code()).as("%s %s at %d: killed, not exited by itself: %s", sweep.syscalls(), sweep.action(), n, r).isEqualTo(137);
                return true;
            }
            // error=EIO: the replicator meets a failed fsync (ours, or SQLite's in a checkpoint) and
            // must carry on or stop with an error, its state sound; it is killed a little later either way.
            long deadline = System.nanoTime() + RUN_PATIENCE.toNanos();
            while (!Files.readString(trace).contains("(INJECTED)")) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    return Files.readString(trace).contains("(INJECTED)");
                }
                Thread.sleep(50);
            }
            Thread.sleep(2_000);
            return true;
        } finally {
            p.killTree();
            Files.deleteIfExists(trace);
        }
    }

    private void write(AtomicBoolean stop, ConcurrentLinkedQueue<Throwable> errors) {
        try (Connection c = TestDb.open(db, 30_000); PreparedStatement ps = c.prepareStatement("INSERT INTO rows (seq, payload) VALUES (?, randomblob(?))")) {
            while (!stop.get()) {
                long seq = committed.get() + 1;
                ps.setLong(1, seq);
                ps.setInt(2, 100 + (int) (seq % 3000));
                ps.executeUpdate();
                committed.set(seq);
                Thread.sleep(10);
            }
        } catch (Throwable e) {
            errors.add(e);
        }
    }

    /** Restores the replica; the result must be rows 1..k with k between the last restore's and what was committed. */
    private long restoreAndCheckPrefix(String name) throws Exception {
        long committedBefore = committed.get();
        boolean anyFile;
        try (Stream<Path> files = Files.exists(replica) ? Files.walk(replica) : Stream.empty()) {
            anyFile = files.anyMatch(f -> f.toString().endsWith(".ltx"));
        }
        if (!anyFile) {
            return 0; // crashed before its first upload: nothing to restore yet, which is a prefix too
        }
        Path out = dir.resolve(name);
        CliProcess.Result r = CliProcess.run(dir, Duration.ofSeconds(120), "restore", "-o", out.toString(), replica.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(TestDb.integrityCheck(out)).as(name).isEqualTo("ok");
        long count;
        try (Connection c = TestDb.open(out); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) FROM rows")) {
            rs.next();
            count = rs.getLong(1);
            assertThat(rs.getLong(2)).as("%s: the first row", name).isEqualTo(1);
            assertThat(rs.getLong(3)).as("%s: rows are 1..k with no hole", name).isEqualTo(count);
        }
        // What a crash took back must not have been replicated: never fewer rows than an earlier restore showed.
        assertThat(count).as(name).isGreaterThanOrEqualTo(lastRestored).isLessThanOrEqualTo(Math.max(committedBefore, committed.get()));
        lastRestored = count;
        return count;
    }

    private static void requireStrace() throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "true").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw missing("strace is not installed");
        }
        if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0) {
            probe.destroyForcibly();
            throw missing("strace cannot trace here (ptrace refused?): " + new String(probe.getInputStream().readAllBytes()));
        }
    }

    private static RuntimeException missing(String why) {
        String message = why + ": LocalCrashAnywhereIT injects its crashes with it (apt-get install strace)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message + " (.ci/run installs it; under CI this test must run)");
        }
        org.junit.jupiter.api.Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}
