package io.litestream4j.cli;

import sun.misc.Signal;

/**
 * SIGINT and SIGTERM handling. The JVM's default handlers start shutdown hooks and exit with
 * 128 + the signal; a replicator must instead finish its last sync and exit 0, like Litestream.
 */
final class Signals {
    private Signals() {}

    /** Calls {@code action} with {@code INT} or {@code TERM} when either arrives. */
    static void onTermination(java.util.function.Consumer<String> action) {
        for (String name : new String[] {"INT", "TERM"}) {
            Signal.handle(new Signal(name), s -> action.accept(s.getName()));
        }
    }
}
