package io.litestream4j.core;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One timer thread for the periodic work of every database of the process: the safety-net looks
 * at idle databases' WALs ({@link WalChangeWaiter}), the replica lease renewals
 * ({@code LeaseRenewals}) and the replicas' maintenance rounds. With thousands of databases, a
 * virtual thread per database that sleeps and wakes for each of these costs a park and an unpark
 * of a carrier thread every time (two {@code futex} calls and two context switches) for a look
 * that finds nothing; here a due task costs a queue operation and the task's own work on one
 * thread.
 *
 * <p>Delays of {@link #COARSE_FROM} or more are rounded up to the next multiple of {@link #GRAIN},
 * and the tasks due at the same multiple share one wake-up of the timer's thread. Measured with
 * 10,000 idle databases (about 1,000 such tasks a second, each due at its own millisecond): the
 * thread's sleeps and wake-ups, not the tasks, were half of the process's idle CPU. With the grain
 * the thread wakes at most four times a second for all of them; a task runs at most a grain late,
 * which none of these (looks every 30 s, rounds every 15 s or more, renewals) notices.
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
    /** Delays from this on are rounded to the {@link #GRAIN}: shorter ones ask for promptness. */
    static final Duration COARSE_FROM = Duration.ofSeconds(1);
    /** The step coarse delays are rounded up to. */
    static final Duration GRAIN = Duration.ofMillis(250);
    private static final long GRAIN_NANOS = GRAIN.toNanos();
    private static final ScheduledThreadPoolExecutor TIMER;
    /** Coarse tasks by the multiple of the grain they are due at; guarded by itself. */
    private static final Map<Long, Batch> BATCHES = new HashMap<>();
    /** Wake-ups of the timer's thread for batches of coarse tasks (for tests). */
    private static final AtomicLong BATCH_WAKES = new AtomicLong();

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
        if (delay.compareTo(COARSE_FROM) >= 0) {
            return inBatch(System.nanoTime() + delay.toNanos(), guarded(task));
        }
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

    /** Runs {@code task} on the timer's thread every {@code period}, the first time one period from now. */
    public static Pending every(Duration period, Runnable task) {
        if (period.compareTo(COARSE_FROM) >= 0) {
            return new Repeating(period, guarded(task)).next();
        }
        long millis = Math.max(1, period.toMillis());
        ScheduledFuture<?> f = TIMER.scheduleWithFixedDelay(guarded(task), millis, millis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /** Tasks queued now: each batch of coarse tasks counts once (for tests: ended work must leave none behind). */
    static int queued() {
        return TIMER.getQueue().size();
    }

    /** How often the timer's thread has woken for a batch of coarse tasks (for tests). */
    static long batchWakes() {
        return BATCH_WAKES.get();
    }

    /** Adds {@code task} to the batch of the first multiple of the grain at or after {@code dueNanos} (a {@link System#nanoTime}). */
    private static Pending inBatch(long dueNanos, Runnable task) {
        long step = Math.ceilDiv(dueNanos, GRAIN_NANOS);
        Entry entry = new Entry(task);
        synchronized (BATCHES) {
            Batch batch = BATCHES.get(step);
            if (batch == null) {
                batch = new Batch(step);
                BATCHES.put(step, batch);
                long wait = step * GRAIN_NANOS - System.nanoTime();
                batch.wake = TIMER.schedule(batch::run, Math.max(0, wait), TimeUnit.NANOSECONDS);
            }
            batch.tasks.add(entry);
            Batch mine = batch;
            return () -> mine.cancel(entry);
        }
    }

    /** One coarse task queued once; its flag keeps it from starting when cancelled after its batch woke. */
    private static final class Entry {
        final Runnable task;
        volatile boolean cancelled;

        Entry(Runnable task) {
            this.task = task;
        }
    }

    /** The coarse tasks due at one multiple of the grain, run by one wake-up of the timer's thread. */
    private static final class Batch {
        final long step;
        final Set<Entry> tasks = new LinkedHashSet<>();
        ScheduledFuture<?> wake;

        Batch(long step) {
            this.step = step;
        }

        /** A batch emptied before its time cancels its wake-up, so nothing stays queued. */
        void cancel(Entry entry) {
            entry.cancelled = true;
            synchronized (BATCHES) {
                if (tasks.remove(entry) && tasks.isEmpty() && BATCHES.get(step) == this) {
                    BATCHES.remove(step);
                    wake.cancel(false);
                }
            }
        }

        void run() {
            Entry[] due;
            synchronized (BATCHES) {
                BATCHES.remove(step);
                due = tasks.toArray(Entry[]::new);
                tasks.clear();
            }
            BATCH_WAKES.incrementAndGet();
            for (Entry entry : due) {
                if (entry.cancelled) {
                    continue;
                }
                try {
                    entry.task.run();
                } catch (RuntimeException | Error e) {
                    // logged by guarded(); the other tasks of the batch still run
                }
            }
        }
    }

    /** A coarse periodic task: each run queues the next, one period after it ended (a fixed delay). */
    private static final class Repeating implements Pending {
        private final Duration period;
        private final Runnable task;
        /** The queued next run; guarded by this. */
        private Pending queued;
        private boolean cancelled;

        Repeating(Duration period, Runnable task) {
            this.period = period;
            this.task = task;
        }

        synchronized Repeating next() {
            if (!cancelled) {
                queued = inBatch(System.nanoTime() + period.toNanos(), this::runOnce);
            }
            return this;
        }

        private void runOnce() {
            synchronized (this) {
                if (cancelled) {
                    return;
                }
            }
            task.run(); // a throw ends the repetition, as scheduleWithFixedDelay does
            next();
        }

        @Override
        public synchronized void cancel() {
            cancelled = true;
            if (queued != null) {
                queued.cancel();
            }
        }
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
