package io.litestream4j.core.replica;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LeaseRenewals.Timer} a test steps by hand on its fake clock: {@link #runDue} runs, on the
 * test's thread, every task whose time has come; {@link #pending} shows what waits, so a test can
 * check that nothing is scheduled.
 */
final class ManualTimer implements LeaseRenewals.Timer {
    /** A task waiting for its time. */
    record Entry(Instant due, String name, Runnable task) {}

    private final Clock clock;
    private final List<Entry> entries = new ArrayList<>();

    ManualTimer(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized LeaseRenewals.Pending after(Duration delay, String name, Runnable task) {
        Entry e = new Entry(clock.instant().plus(delay), name, task);
        entries.add(e);
        return () -> {
            synchronized (this) {
                entries.remove(e);
            }
        };
    }

    /** The tasks waiting now. */
    synchronized List<Entry> pending() {
        return List.copyOf(entries);
    }

    /** Runs the tasks due at the clock's time, in due order, including those they schedule that are due too; returns how many ran. */
    int runDue() {
        int ran = 0;
        while (true) {
            Entry next;
            synchronized (this) {
                Instant now = clock.instant();
                next = entries.stream().filter(e -> !e.due().isAfter(now)).min(java.util.Comparator.comparing(Entry::due)).orElse(null);
                if (next == null) {
                    return ran;
                }
                entries.remove(next);
            }
            next.task().run();
            ran++;
        }
    }
}
