package io.litestream4j.core;

import java.time.Clock;
import java.time.Duration;

/**
 * How the engine waits out time: the backoff after a failed upload or sync, a maintainer's wait
 * for its next due time, a lease's renewal rhythm. The engine reads time from the injected
 * {@link Clock}; a clock that is also a {@code Sleeper} (a test's) decides what those waits
 * really take, so a test drives retries by moving its clock instead of waiting for them.
 */
@FunctionalInterface
public interface Sleeper {
    /** Real time: {@link Thread#sleep(Duration)}, nothing for zero or less. */
    Sleeper REAL = d -> {
        if (d.isPositive()) {
            Thread.sleep(d);
        }
    };

    /** Waits {@code d} (or until the clock behind it has moved that far); interruptible. */
    void sleep(Duration d) throws InterruptedException;

    /** The sleeper that goes with {@code clock}: the clock itself if it is one, else real time. */
    static Sleeper of(Clock clock) {
        return clock instanceof Sleeper s ? s : REAL;
    }
}
