package io.litestream4j.core.replica;

import io.litestream4j.core.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One timer for every replica lease of the process. A {@link LeasedReplicaClient} asks to be
 * woken when its next renewal is due; the renewal itself runs on a virtual thread of its own, so
 * a slow store delays only its own lease, never the timer or the other leases.
 *
 * <p>Why: each lease used to have a virtual thread waking every second to ask whether its renewal
 * (every 10 s) was due. With 2,000 databases in one process that was 2,000 wake-ups a second with
 * nothing to do, and 2,000 parked threads; one timer holding a queue of due times costs nothing
 * between renewals.
 *
 * <p>Guarantee: a task given to {@link #after} runs once, not before its delay, unless cancelled
 * before it started; the timer thread never runs a task itself. A clock that is a
 * {@link Sleeper} (a test's) measures the delay instead of real time, on a virtual thread that
 * sleeps on it.
 */
final class LeaseRenewals {
    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name("lease renewals").unstarted(r));
        TIMER.setRemoveOnCancelPolicy(true); // closed leases leave nothing queued behind them
    }

    /** A renewal asked for: {@link #cancel} keeps it from starting (one already running finishes). */
    interface Pending {
        void cancel();
    }

    private LeaseRenewals() {
    }

    /** Runs {@code task} on a new virtual thread named {@code name} once {@code delay} has passed on {@code clock}. */
    static Pending after(Clock clock, Duration delay, String name, Runnable task) {
        if (clock instanceof Sleeper sleeper) {
            AtomicBoolean started = new AtomicBoolean();
            Thread t = Thread.ofVirtual().name(name).start(() -> {
                try {
                    sleeper.sleep(delay);
                } catch (InterruptedException e) {
                    return;
                }
                if (started.compareAndSet(false, true)) {
                    task.run();
                }
            });
            return () -> {
                if (started.compareAndSet(false, true)) {
                    t.interrupt();
                }
            };
        }
        long millis = Math.max(10, delay.toMillis());
        ScheduledFuture<?> f = TIMER.schedule(() -> Thread.ofVirtual().name(name).start(task), millis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }
}
