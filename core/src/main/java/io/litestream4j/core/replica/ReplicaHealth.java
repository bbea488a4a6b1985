package io.litestream4j.core.replica;

import io.litestream4j.core.IoErrors;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What is wrong with one replica right now, as named problems that each part of the engine
 * reports and clears on its own: the uploader ({@link #UPLOAD}), each compaction level and the
 * snapshot ("compact level N", "snapshot"), retention ({@link #RETENTION}), and the check that the replica still
 * holds a restorable chain ({@link #CHAIN}). A replica is healthy only when no part reports a
 * problem, so one part's success never hides another's failure.
 *
 * <p>Thread-safe: reported from the uploader's, the maintainer's and the sync loop's threads,
 * read by metrics and health checks.
 */
public final class ReplicaHealth {
    public static final String UPLOAD = "upload";
    public static final String RETENTION = "retention";
    public static final String CHAIN = "chain";

    private final Map<String, String> problems = new LinkedHashMap<>();

    /** Records {@code what}'s problem, replacing any earlier one of the same part. */
    public synchronized void report(String what, String message) {
        problems.put(what, message == null || message.isBlank() ? "failed (no message)" : message);
    }

    /** Records a failure of {@code what}, described with its cause (never null, whatever the exception). */
    public void report(String what, Throwable failure) {
        report(what, describe(failure));
    }

    /** {@code what} works again. */
    public synchronized void clear(String what) {
        problems.remove(what);
    }

    /** The problem {@code what} reports, or null. */
    public synchronized String problem(String what) {
        return problems.get(what);
    }

    /** Every problem as {@code "part: message"} joined by {@code "; "}, or null when healthy. */
    public synchronized String summary() {
        if (problems.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        problems.forEach((what, message) -> sb.append(sb.isEmpty() ? "" : "; ").append(what).append(": ").append(message));
        return sb.toString();
    }

    /**
     * A failure in words: the exception's message (file-system errors with their path and reason),
     * else its class, with the first cause that says more. Never null: an exception without a
     * message (EOFException, ClosedChannelException, NullPointerException) must still count.
     */
    public static String describe(Throwable failure) {
        String text = failure instanceof IOException io ? IoErrors.describe(io)
                : failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        Throwable cause = failure.getCause();
        if (cause != null && cause != failure && cause.getMessage() != null && !text.contains(cause.getMessage())) {
            text += ": " + cause.getMessage();
        }
        return text;
    }
}
