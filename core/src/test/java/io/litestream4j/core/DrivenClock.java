package io.litestream4j.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * A clock the test moves, and the engine's {@link Sleeper} with it: an engine thread that sleeps
 * on it waits until the test has moved the clock past its wake-up time, however little real time
 * that takes. Every sleep asked for is recorded with the name of the thread that asked, so a
 * test can check a backoff's schedule and step it.
 */
public final class DrivenClock extends Clock implements Sleeper {
    /** One sleep asked for: by which thread, and for how long. */
    public record Sleep(String thread, Duration duration) {}

    private Instant now; // guarded by this
    private final List<Sleep> sleeps = new ArrayList<>(); // guarded by this

    public DrivenClock(Instant start) {
        this.now = start;
    }

    @Override
    public synchronized void sleep(Duration d) throws InterruptedException {
        if (!d.isPositive()) {
            return;
        }
        sleeps.add(new Sleep(Thread.currentThread().getName(), d));
        notifyAll();
        Instant until = now.plus(d);
        while (now.isBefore(until)) {
            wait();
        }
    }

    public synchronized void advance(Duration d) {
        now = now.plus(d);
        notifyAll();
    }

    /**
     * The sleeps asked for so far by threads whose name starts with {@code threadPrefix}, once
     * there are at least {@code count} of them; waits for them in real time, up to {@code timeout}.
     */
    public synchronized List<Duration> awaitSleeps(String threadPrefix, int count, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Duration> found = sleeps.stream().filter(s -> s.thread().startsWith(threadPrefix)).map(Sleep::duration).toList();
            if (found.size() >= count) {
                return found;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("%d sleeps by threads \"%s...\" within %s, saw %s".formatted(count, threadPrefix, timeout, found));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    @Override
    public synchronized Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
