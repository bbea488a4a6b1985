package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/** Writers inserting rows on their own connections until closed; closing asserts none failed. */
final class ConcurrentWriters implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    ConcurrentWriters(Path db, int count) {
        for (int i = 0; i < count; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try (Connection c = TestDb.open(db, 10_000)) {
                    while (!stop.get()) {
                        TestDb.insert(c, 3, 300);
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    errors.add(t);
                }
            }));
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(errors).as("writer errors").isEmpty();
    }
}
