package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The real Litestream v0.3.13 (installed by {@code .ci/run} from the npm package
 * {@code @flydotio/litestream-linux-x64}; under CI a missing binary fails the test, elsewhere it
 * skips), run by the tests that restore what it wrote, and our {@code restore} of it checked.
 */
final class Litestream03Runs {
    private Litestream03Runs() {}

    /** What a run left: the database's state after the first burst of writes, a moment after it was shipped, and the final state. */
    record Written(String first, Instant between, String latest) {}

    static Path binary() {
        Path bin = Path.of(System.getenv().getOrDefault("LITESTREAM03_BIN", "/opt/litestream-v0.3.13/litestream"));
        String message = "Litestream v0.3.13 is not at " + bin + " (.ci/run installs it from npm @flydotio/litestream-linux-x64@1.0.1)";
        if (!Files.isExecutable(bin)) {
            assertThat(System.getenv("CI")).as(message).isNotEqualToIgnoringCase("true");
            assumeTrue(false, message + "; skipping outside CI");
        }
        return bin;
    }

    /**
     * Runs Litestream 0.3 with {@code cfg} (environment {@code env}): its first snapshot, a burst of
     * writers, a quiet spell long enough for its 1 s syncs to ship it, the moment {@code between},
     * a second burst, then SIGTERM (it syncs on the way out). {@code shipped} runs before {@code
     * between}, while 0.3 is idle (for a test that copies what was written so far). The moment
     * has more than a second on either side: stores that keep whole-second times (Azure, SFTP,
     * WebDAV) still order every file on its side of it.
     */
    static Written replicate(Path cfg, Path db, Map<String, String> env, Runnable shipped) throws Exception {
        Path log = cfg.resolveSibling(cfg.getFileName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(binary().toString(), "replicate", "-config", cfg.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        String first;
        Instant between;
        try {
            Thread.sleep(2000); // its first snapshot
            try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(5))) {
                Thread.sleep(2000);
            }
            awaitShipped(log); // the burst is shipped
            first = TestDb.digest(db);
            shipped.run();
            Thread.sleep(1100);
            between = Instant.now();
            Thread.sleep(1100);
            try (RowWriters w = new RowWriters(db, 3, Duration.ofMillis(5))) {
                Thread.sleep(2000);
            }
            awaitShipped(log); // so the SIGTERM cancels no upload in flight
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        assertThat(Files.readString(log)).as("litestream 0.3 log").doesNotContain("level=ERROR").contains("wal segment written");
        return new Written(first, between, TestDb.digest(db));
    }

    /** 0.3's log lines that begin an upload, and those that end one (a failed one ends in a monitor error, which the caller's check of the log then reports). */
    private static final Pattern UPLOAD_BEGUN = Pattern.compile("msg=\"(write wal segment|write snapshot)\"");
    private static final Pattern UPLOAD_ENDED = Pattern.compile("msg=\"(wal segment written|snapshot written|monitor error)\"");

    /**
     * Longer than 0.3 takes to begin shipping a commit (its 1 s database monitor, then its 1 s
     * replica sync): a log this quiet with every upload ended means everything committed is shipped.
     */
    private static final Duration QUIET = Duration.ofMillis(2500);

    /**
     * Waits until 0.3, logging to {@code log}, has ended every upload it began and begun none for
     * {@link #QUIET}. A fixed sleep was not enough: on a loaded machine Azurite once held a block
     * upload for 5 s, and the SIGTERM that followed cancelled it ({@code level=ERROR ... context
     * canceled}). Bounded by a minute of real time: a store that never answers fails the test.
     */
    static void awaitShipped(Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String seen = null;
        long quietSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            String now = Files.readString(log);
            if (!now.equals(seen)) {
                seen = now;
                quietSince = System.nanoTime();
            } else if (count(UPLOAD_BEGUN, now) == count(UPLOAD_ENDED, now) && System.nanoTime() - quietSince >= QUIET.toNanos()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("litestream 0.3 still uploading after a minute:%n%s".formatted(Files.readString(log)));
    }

    private static long count(Pattern p, String text) {
        return p.matcher(text).results().count();
    }

    /**
     * Our {@code restore} of a 0.3 backup, latest and at {@code w.between}: equal to the final
     * state and to the first burst's. {@code source} is the restore's last arguments (a URL, or
     * {@code -config FILE [-replica NAME] DB_PATH}).
     */
    static void assertRestores(Path dir, Map<String, String> env, Written w, String name, List<String> source) throws Exception {
        assertRestores(dir, env, w, name, source, true);
    }

    /** {@link #assertRestores(Path, Map, Written, String, List)}, the restore by time only if {@code byTime}. */
    static void assertRestores(Path dir, Map<String, String> env, Written w, String name, List<String> source, boolean byTime) throws Exception {
        Path latest = dir.resolve(name + "-latest.db");
        CliProcess.Result r = CliProcess.start(env, dir, concat(List.of("restore", "-integrity-check", "full", "-o", latest.toString()), source))
                .await(Duration.ofSeconds(120));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("from the Litestream 0.3 backup");
        assertThat(TestDb.digest(latest)).as("%s: the latest state", name).isEqualTo(w.latest());
        if (!byTime) {
            return;
        }
        Path then = dir.resolve(name + "-then.db");
        CliProcess.Result t = CliProcess.start(env, dir, concat(List.of("restore", "-timestamp", w.between().toString(), "-integrity-check", "full",
                "-o", then.toString()), source)).await(Duration.ofSeconds(120));
        assertThat(t.code()).as(t.toString()).isZero();
        assertThat(TestDb.digest(then)).as("%s: the state at %s", name, w.between()).isEqualTo(w.first()).isNotEqualTo(w.latest());
    }

    private static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
