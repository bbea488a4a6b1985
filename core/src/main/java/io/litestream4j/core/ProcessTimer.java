package io.litestream4j.core;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread for the periodic work of every database of the process: the safety-net looks
 * at idle databases' WALs ({@link WalChangeWaiter}) and the replica lease renewals
 * ({@code LeaseRenewals}). With thousands of databases, a virtual thread per database that sleeps
 * and wakes for each of these costs a park and an unpark of a carrier thread every time (two
 * {@code futex} calls and two context switches) for a look that finds nothing; here a due task
 * costs a queue operation and the task's own work on one thread.
 *
 * <p>Guarantee: a task runs once per period (or once, for {@link #after}), not before it is due,
 * until cancelled; a cancelled task that has not started never starts. Not guaranteed: promptness
 * when the tasks before it are slow. So a task must be short and must not wait on anything (a
 * stat of a local file, starting a virtual thread, a notify); anything longer starts a virtual
 * thread of its own. A task that throws is logged and not run again.
 */
public final class ProcessTimer {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ProcessTimer.class);
    /** The name of the timer's thread. */
    public static final String THREAD_NAME = "litestream timer";
    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform().daemon().name(THREAD_NAME).unstarted(r));
        TIMER.setRemoveOnCancelPolicy(true); // ended work leaves nothing queued behind it
    }

    /** Work given to the timer: {@link #cancel} keeps it from starting again (a run in progress finishes). */
    public interface Pending {
        void cancel();
    }

    private ProcessTimer() {}

    /** Runs {@code task} on the timer's thread once {@code delay} has passed (at least 1 ms). */
    public static Pending after(Duration delay, Runnable task) {
        ScheduledFuture<?> f = TIMER.schedule(guarded(task), Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /**
     * {@link #after(Duration, Runnable)} measured on {@code clock}: a clock that is a {@link Sleeper}
     * (a test's) decides when the delay has passed, on a virtual thread that sleeps on it and then
     * runs the task (that thread is named {@code name}); real time uses the timer.
     */
    public static Pending after(Clock clock, Duration delay, String name, Runnable task) {
        if (!(clock instanceof Sleeper sleeper)) {
            return after(delay, task);
        }
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
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

    /** Runs {@code task} on the timer's thread every {@code period}, the first time one period from now. */
    public static Pending every(Duration period, Runnable task) {
        long millis = Math.max(1, period.toMillis());
        ScheduledFuture<?> f = TIMER.scheduleWithFixedDelay(guarded(task), millis, millis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /** Tasks queued now (for tests: ended work must leave none behind). */
    static int queued() {
        return TIMER.getQueue().size();
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "a timed task failed: {0}", e.toString());
                throw e; // the executor then never runs it again; the timer thread lives on
            }
        };
    }
}
