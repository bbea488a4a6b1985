package io.litestream4j.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many databases in this process hold their two SQLite connections now (about five file
 * descriptors and 300 KB of SQLite memory each), so a start can tell when it should let a quiet
 * database's connections go at once instead of at its sync loop's first quiet look.
 *
 * <p>Why a count for the whole process: descriptors and memory are the process's. Starting
 * thousands of databases at once on 2 cores, the starts ran ahead of the loops' first looks and
 * every started database kept its connections until then: 5,000 ran out of descriptors (20,000)
 * at 4,582 started (docs/benchmarks.md). Why not always at the end of a start: a database nobody
 * else holds then has no connection of ours while the application opens it, so the application's
 * last close checkpoints and deletes the WAL instead of our checkpoint, and the commits it held
 * reach the replica as one catch-up from the database file instead of one file per sync; that is
 * what a released database costs, worth paying only when the connections are scarce.
 */
final class HeldConnections {
    /**
     * Above this many databases holding connections, a start releases a quiet database at once:
     * 320 descriptors and about 20 MB of SQLite memory, while a process with fewer databases
     * (the usual case) never releases one before its first quiet look.
     */
    static final int RELEASE_AT_START_ABOVE = 64;

    private static final AtomicInteger held = new AtomicInteger();

    private HeldConnections() {}

    /** A database opened its connections. */
    static void opened() {
        held.incrementAndGet();
    }

    /** A database closed the connections it held. */
    static void closed() {
        held.decrementAndGet();
    }

    /** Databases holding connections now. */
    static int count() {
        return held.get();
    }

    /** Whether a start should release a quiet database's connections at once (see the class comment). */
    static boolean crowded() {
        return count() > RELEASE_AT_START_ABOVE;
    }
}
