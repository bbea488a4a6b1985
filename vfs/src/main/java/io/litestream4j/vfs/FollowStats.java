package io.litestream4j.vfs;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a follower's polls spend their time: polls, L0 listings, extensions by new L0 files
 * (opening them: one GET each for small files) and fresh plans over every level (one listing per
 * level, then the opens), as counts and total and longest durations. For tests and benchmarks.
 */
final class FollowStats {
    private final Phase polls = new Phase();
    private final Phase listings = new Phase();
    private final Phase extensions = new Phase();
    private final Phase replans = new Phase();

    private static final class Phase {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();
        final LongAccumulator max = new LongAccumulator(Math::max, 0);

        void add(long n) {
            count.increment();
            nanos.add(n);
            max.accumulate(n);
        }

        long count() {
            return count.sum();
        }

        @Override
        public String toString() {
            long c = count.sum();
            return "%d (avg %d ms, max %d ms)".formatted(c, c == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(nanos.sum() / c), TimeUnit.NANOSECONDS.toMillis(max.get()));
        }
    }

    void polled(long nanos) {
        polls.add(nanos);
    }

    void listed(long nanos) {
        listings.add(nanos);
    }

    void extended(long nanos) {
        extensions.add(nanos);
    }

    void replanned(long nanos) {
        replans.add(nanos);
    }

    long replans() {
        return replans.count();
    }

    long polls() {
        return polls.count();
    }

    @Override
    public String toString() {
        return "polls %s, L0 listings %s, extensions %s, re-plans %s".formatted(polls, listings, extensions, replans);
    }
}
