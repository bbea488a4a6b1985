package io.litestream4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The training run behind bin/litestream's start-up cache (JDK 25's {@code -XX:AOTCacheOutput}):
 * the commands users start most, on a small database, in one JVM. The classes they load and
 * link go into the cache, so later runs skip that work: a small restore took 0.48 s without the
 * cache and 0.35 s with it, medians of five (docs/benchmarks.md). Not a command: bin/litestream runs it
 * once after each build.
 *
 * <p>{@code AotTraining replica DIR} only writes a small database and its file replica into
 * {@code DIR/replica}: the release trains its restore cache on a restore of it in a JVM of its
 * own, so that the cache holds what a restore loads and nothing of the replication that made
 * the replica (dist/src/build-release.sh).
 */
final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("replica")) {
            replicate(Files.createDirectories(Path.of(args[1])));
            return;
        }
        if (args.length != 0) {
            throw new IllegalArgumentException("usage: AotTraining [replica DIR]");
        }
        Path dir = Files.createTempDirectory("litestream4j-training");
        try {
            train(dir);
        } finally {
            deleteAll(dir);
        }
    }

    private static void train(Path dir) throws Exception {
        String replica = replicate(dir);
        run("restore", "-o", dir.resolve("restored.db").toString(), replica);
        run("ltx", replica);
        run("version");
    }

    /** Writes {@code dir/train.db} while replicating it to {@code dir/replica}; returns the replica's URL. */
    private static String replicate(Path dir) throws Exception {
        Path db = dir.resolve("train.db");
        String replica = dir.resolve("replica").toUri().toString();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = wal");
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Statement w = c.createStatement()) {
                    while (writing.get()) {
                        w.execute("INSERT INTO t (v) VALUES (randomblob(500))");
                        Thread.sleep(5);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("training writer", e);
                }
            });
            try {
                // Replicates while the writer commits, until the child exits; then a final sync.
                run("replicate", "-exec", "sleep 1", db.toString(), replica);
            } finally {
                writing.set(false);
                writer.join();
            }
        }
        return replica;
    }

    private static void run(String... args) {
        PrintWriter quiet = new PrintWriter(Writer.nullWriter());
        int code = Main.run(args, quiet, quiet);
        if (code != 0) {
            throw new IllegalStateException("training: litestream " + String.join(" ", args) + " exited with " + code);
        }
    }

    private static void deleteAll(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
