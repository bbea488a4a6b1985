package io.litestream4j.core.replica;

import io.litestream4j.core.ProcessTimer;
import io.litestream4j.core.Sleeper;
import java.time.Clock;
import java.time.Duration;

/**
 * The process's one timer ({@link ProcessTimer}) for every replica lease. A {@link LeasedReplicaClient} whose
 * replica is being written asks to be woken when its next renewal is due; the renewal itself runs
 * on a virtual thread of its own, so a slow store delays only its own lease, never the timer or
 * the other leases. A replica not written for a renewal period asks for nothing: its lease has no
 * entry here at all until its next write.
 *
 * <p>Why: each lease used to have a virtual thread waking every second to ask whether its renewal
 * (every 10 s) was due. With 2,000 databases in one process that was 2,000 wake-ups a second with
 * nothing to do, and 2,000 parked threads; one timer holding a queue of due times costs nothing
 * between renewals.
 *
 * <p>Guarantee: a task given to {@link Timer#after} runs once, not before its delay, unless cancelled
 * before it started; the timer thread never runs a task itself. A clock that is a
 * {@link Sleeper} (a test's) measures the delay instead of real time, on a virtual thread that
 * sleeps on it.
 */
final class LeaseRenewals {
    /** A renewal asked for: {@link #cancel} keeps it from starting (one already running finishes). */
    interface Pending {
        void cancel();
    }

    /** Where a lease asks to be woken; tests hand in one they step by hand. */
    @FunctionalInterface
    interface Timer {
        /** Runs {@code task} once {@code delay} has passed; {@code name} names its thread. */
        Pending after(Duration delay, String name, Runnable task);
    }

    /** A retry right after a failure still leaves the store a moment. */
    private static final Duration MIN_DELAY = Duration.ofMillis(10);

    private LeaseRenewals() {
    }

    /** The process's timer measuring delays on {@code clock}: each task on a new virtual thread named as asked. */
    static Timer on(Clock clock) {
        return (delay, name, task) -> {
            ProcessTimer.Pending p = ProcessTimer.after(clock, delay.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : delay, name,
                    () -> Thread.ofVirtual().name(name).start(task));
            return p::cancel;
        };
    }
}
