package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Writers inserting rows on their own connections until stopped or closed; stopping fails if any writer failed. */
final class RowWriters implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong transactions = new AtomicLong();
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    /** {@code count} writers, each committing three rows per transaction and pausing {@code pause} between them. */
    RowWriters(Path db, int count, Duration pause) {
        for (int i = 0; i < count; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db, 30_000)) {
                    while (!stop.get()) {
                        TestDb.insert(c, 3, 300);
                        transactions.incrementAndGet();
                        Thread.sleep(pause);
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
    }

    /** Stops the writers, fails if any of them failed, and returns how many transactions they committed. */
    long stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(errors).as("writer errors").isEmpty();
        return transactions.get();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
