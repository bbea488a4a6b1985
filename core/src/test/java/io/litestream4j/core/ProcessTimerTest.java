package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process timer on real time: coarse tasks (a second or more ahead) are batched by the grain,
 * never run early, and leave nothing queued once cancelled. The delays are the smallest coarse
 * one (1 s) and the waits bounded by latches with wide margins, for a busy machine.
 */
@Timeout(30)
class ProcessTimerTest {
    private static final Duration COARSE = ProcessTimer.COARSE_FROM;

    @Test
    void coarseTasksDueTogetherShareWakeUpsAndNeverRunEarly() throws InterruptedException {
        int tasks = 300;
        CountDownLatch ran = new CountDownLatch(tasks);
        List<Long> lateness = new CopyOnWriteArrayList<>();
        long wakesBefore = ProcessTimer.batchWakes();
        for (int i = 0; i < tasks; i++) {
            long due = System.nanoTime() + COARSE.toNanos();
            ProcessTimer.after(COARSE, () -> {
                lateness.add(System.nanoTime() - due);
                ran.countDown();
            });
        }
        assertThat(ran.await(20, TimeUnit.SECONDS)).as("every task ran").isTrue();
        assertThat(lateness).as("no task ran before its delay had passed").allSatisfy(l -> assertThat(l).isNotNegative());
        // Scheduled within a few milliseconds of each other, they fall into one or two grains; a
        // busy machine may stretch the loop over a few more. One wake per task would be 300.
        assertThat(ProcessTimer.batchWakes() - wakesBefore).as("wake-ups for %d tasks", tasks).isBetween(1L, 10L);
    }

    @Test
    void aCancelledCoarseTaskNeverRunsAndLeavesNothingQueued() throws InterruptedException {
        AtomicInteger cancelledRuns = new AtomicInteger();
        CountDownLatch kept = new CountDownLatch(1);
        int queuedBefore = ProcessTimer.queued();
        ProcessTimer.Pending alone = ProcessTimer.after(COARSE.multipliedBy(5), cancelledRuns::incrementAndGet);
        assertThat(ProcessTimer.queued()).as("a batch of its own").isEqualTo(queuedBefore + 1);
        alone.cancel();
        assertThat(ProcessTimer.queued()).as("its batch emptied: the wake-up is gone too").isEqualTo(queuedBefore);

        // Two tasks in one batch: cancelling one keeps the other and its wake-up.
        ProcessTimer.Pending dropped = ProcessTimer.after(COARSE, cancelledRuns::incrementAndGet);
        ProcessTimer.after(COARSE, kept::countDown);
        dropped.cancel();
        assertThat(kept.await(20, TimeUnit.SECONDS)).as("the task left in the batch ran").isTrue();
        assertThat(cancelledRuns).as("cancelled tasks never ran").hasValue(0);
    }

    @Test
    void aCoarsePeriodicTaskRepeatsUntilCancelledAndStopsAfterAThrow() throws InterruptedException {
        CountDownLatch threeRuns = new CountDownLatch(3);
        AtomicInteger runs = new AtomicInteger();
        ProcessTimer.Pending repeating = ProcessTimer.every(COARSE, () -> {
            runs.incrementAndGet();
            threeRuns.countDown();
        });
        assertThat(threeRuns.await(20, TimeUnit.SECONDS)).as("ran three times").isTrue();
        repeating.cancel();
        int atCancel = runs.get();

        CountDownLatch thrown = new CountDownLatch(1);
        AtomicInteger throwingRuns = new AtomicInteger();
        ProcessTimer.every(COARSE, () -> {
            throwingRuns.incrementAndGet();
            thrown.countDown();
            throw new IllegalStateException("a task that fails (logged as an error below: expected)");
        });
        assertThat(thrown.await(20, TimeUnit.SECONDS)).isTrue();
        // Three periods with margin: a repetition that went on would have run again by then.
        Thread.sleep(COARSE.multipliedBy(3).plus(ProcessTimer.GRAIN).toMillis());
        assertThat(runs).as("no run after the cancel").hasValue(atCancel);
        assertThat(throwingRuns).as("a task that threw is not run again").hasValue(1);
    }
}
