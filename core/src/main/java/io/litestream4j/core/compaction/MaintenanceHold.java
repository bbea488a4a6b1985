package io.litestream4j.core.compaction;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds back the replicas' maintenance rounds (compaction, snapshots, retention, chain checks)
 * while a batch of databases starts. Starting 10,000 databases takes a minute here, and every
 * database started early met its first 30 s boundary during it: an L1 file with its fsyncs each,
 * run beside the starts, 8 % of the start-up's CPU samples at 10,000 (docs/benchmarks.md). Rounds
 * that fall due under a hold run when the last hold is let go; nothing in them is urgent (the L0
 * files they would merge are restorable as they are, and retention only removes).
 */
public final class MaintenanceHold implements AutoCloseable {
    private static final Object LOCK = new Object();
    private static int holds;
    private static final List<Runnable> waiting = new ArrayList<>();
    private boolean closed; // guarded by LOCK

    private MaintenanceHold() {}

    /** Holds maintenance back until {@link #close}. */
    public static MaintenanceHold take() {
        synchronized (LOCK) {
            holds++;
        }
        return new MaintenanceHold();
    }

    /** False if nothing holds maintenance back; else keeps {@code round} to run when the last hold is let go. */
    static boolean deferred(Runnable round) {
        synchronized (LOCK) {
            if (holds == 0) {
                return false;
            }
            waiting.add(round);
            return true;
        }
    }

    /** Rounds kept by {@link #deferred} (for tests). */
    static int waitingCount() {
        synchronized (LOCK) {
            return waiting.size();
        }
    }

    /** Lets go; the last hold runs the rounds that fell due meanwhile, on the caller's thread (each only starts its own). */
    @Override
    public void close() {
        List<Runnable> due;
        synchronized (LOCK) {
            if (closed) {
                return;
            }
            closed = true;
            if (--holds > 0) {
                return;
            }
            due = new ArrayList<>(waiting);
            waiting.clear();
        }
        due.forEach(Runnable::run);
    }
}
