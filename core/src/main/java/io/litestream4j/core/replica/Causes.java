package io.litestream4j.core.replica;

import java.util.HashSet;
import java.util.Set;

/**
 * Reading an exception's chain of causes, for backends whose clients wrap the I/O failure that
 * matters (a refused connection, a timeout) in exceptions of their own.
 */
public final class Causes {
    private Causes() {}

    /** Whether {@code e} or any of its causes is a {@code type}. */
    public static boolean has(Throwable e, Class<? extends Throwable> type) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first line of the messages of {@code e} and its causes, each once, joined by ": " (a
     * cause without a message by its class name): the whole story in one line for an error.
     */
    public static String messages(Throwable e) {
        StringBuilder out = new StringBuilder();
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            String m = t.getMessage() != null && !t.getMessage().isBlank() ? firstLine(t.getMessage()) : t.getClass().getSimpleName();
            if (out.indexOf(m) < 0) {
                out.append(out.isEmpty() ? "" : ": ").append(m);
            }
        }
        return out.toString();
    }

    /** {@code s} up to its first line break. */
    public static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
