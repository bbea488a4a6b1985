package io.litestream4j.core;

import java.time.Duration;

/**
 * The wait between retries of something that keeps failing: {@code first}, then twice the last,
 * never more than {@code max}; back to {@code first} after a success. Not thread-safe: one per
 * retrying loop.
 */
public final class Backoff {
    private final Duration first;
    private final Duration max;
    private Duration next;

    public Backoff(Duration first, Duration max) {
        if (!first.isPositive() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff: want 0 < first <= max, got first " + first + ", max " + max);
        }
        this.first = first;
        this.max = max;
        this.next = first;
    }

    /** The wait before the next retry; each call doubles the one after, up to the maximum. */
    public Duration next() {
        Duration wait = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        return wait;
    }

    /** After a success: the next failure waits {@code first} again. */
    public void reset() {
        next = first;
    }
}
