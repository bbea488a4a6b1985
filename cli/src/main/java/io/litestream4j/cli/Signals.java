package io.litestream4j.cli;

import sun.misc.Signal;

/**
 * SIGINT, SIGTERM and SIGHUP handling. The JVM's default handlers start shutdown hooks and exit
 * with 128 + the signal; a replicator must instead finish its last sync and exit 0, like
 * Litestream. SIGHUP (a closed terminal, or a service manager's reload) is a stop too: killed by
 * it, the replicator would skip its final sync and orphan an {@code -exec} application. A signal
 * ignored when the JVM started (under {@code nohup}) stays ignored.
 */
final class Signals {
    private Signals() {}

    /** Calls {@code action} with {@code INT}, {@code TERM} or {@code HUP} when one arrives. */
    static void onTermination(java.util.function.Consumer<String> action) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            Signal.handle(new Signal(name), s -> action.accept(s.getName()));
        }
    }
}
