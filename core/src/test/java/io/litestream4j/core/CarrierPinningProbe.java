package io.litestream4j.core;

import io.litestream4j.DatabaseOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a JVM of its own by {@link CarrierPinningTest}, with one carrier thread for every virtual
 * thread: our TRUNCATE checkpoint waits for an application's reader on a virtual thread while
 * another virtual thread ticks every 5 ms. Prints how long the checkpoint took and the longest gap
 * between two ticks.
 */
public final class CarrierPinningProbe {
    static final Duration BUSY_TIMEOUT = Duration.ofSeconds(3);

    private CarrierPinningProbe() {}

    public static void main(String[] args) throws Exception {
        Path db = TestDb.create(Path.of(args[0]), "app.db", 4096, 10);
        // truncate-page-n 1: the first checkpoint round is a TRUNCATE.
        DatabaseOptions options = new DatabaseOptions(null, BUSY_TIMEOUT, Duration.ofSeconds(1), Duration.ofMinutes(1), 1000, 1);
        try (Database database = Database.open(db, options, Clock.systemUTC(), Database.ReplicaState.EMPTY);
                Connection app = TestDb.open(db); Connection reader = TestDb.open(db)) {
            TestDb.exec(app, "PRAGMA wal_autocheckpoint = 0");
            database.sync();
            TestDb.insert(app, 20, 100);
            // The application's reader holds a read transaction on the WAL's frames: a TRUNCATE
            // checkpoint waits for it, for the whole busy timeout.
            reader.setAutoCommit(false);
            TestDb.queryLong(reader, "SELECT count(*) FROM t");

            AtomicBoolean done = new AtomicBoolean();
            AtomicLong longestGap = new AtomicLong();
            Thread ticker = Thread.ofVirtual().name("ticker").start(() -> {
                long last = System.nanoTime();
                while (!done.get()) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long now = System.nanoTime();
                    longestGap.accumulateAndGet(now - last, Math::max);
                    last = now;
                }
            });
            Thread.sleep(200); // the ticker runs before the checkpoint starts
            AtomicBoolean truncated = new AtomicBoolean();
            long start = System.nanoTime();
            Thread checkpoint = Thread.ofVirtual().name("checkpoint").start(() -> {
                try {
                    database.sync();
                    truncated.set(database.checkpointIfNeeded());
                } catch (Exception e) {
                    e.printStackTrace();
                }
            });
            checkpoint.join(60_000);
            long took = System.nanoTime() - start;
            done.set(true);
            ticker.join(60_000);
            reader.commit();
            System.out.printf("checkpointRan=%s checkpointMillis=%d longestGapMillis=%d%n", truncated.get(),
                    TimeUnit.NANOSECONDS.toMillis(took), TimeUnit.NANOSECONDS.toMillis(longestGap.get()));
        }
    }
}
