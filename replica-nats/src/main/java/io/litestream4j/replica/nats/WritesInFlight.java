package io.litestream4j.replica.nats;

import java.util.HashSet;
import java.util.Set;

/**
 * The writes in flight on one connection, cut off when it drops. jnats answers a request sent
 * before a disconnect only when its timeout runs out (10 s by default), though after a reset the
 * answer can never come: under a flaky network the replica then lagged 10 s past each late
 * reset (NatsFlakyStorageTest: 11.2 s from the network's recovery to the lag under target). So
 * when the connection reports itself lost, each write in flight is interrupted and fails at once
 * as a lost connection; its caller (the uploader, a compaction) tries again after its backoff, by
 * which time jnats has reconnected, and a write is idempotent (the same object name, the same
 * bytes).
 *
 * <p>Begin, cut-off and end take one lock, so an interrupt reaches only a write that has not
 * ended: none is left pending on a thread that has gone on to other work.
 */
final class WritesInFlight {
    private final Set<Thread> writing = new HashSet<>();
    private final Set<Thread> cut = new HashSet<>();

    /** The calling thread starts a write. */
    synchronized void begin() {
        writing.add(Thread.currentThread());
    }

    /** The connection was lost: interrupts every write in flight. */
    synchronized void cutOff() {
        for (Thread t : writing) {
            if (cut.add(t)) {
                t.interrupt();
            }
        }
    }

    /**
     * The calling thread's write ended (done or failed). Returns whether it was cut off; its
     * interrupt, ours, is then cleared.
     */
    synchronized boolean end() {
        Thread me = Thread.currentThread();
        writing.remove(me);
        if (cut.remove(me)) {
            Thread.interrupted();
            return true;
        }
        return false;
    }
}
