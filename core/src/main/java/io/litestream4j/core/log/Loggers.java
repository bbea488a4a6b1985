package io.litestream4j.core.log;

import java.util.Objects;
import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * Hands out {@link System.Logger}s that ask the JDK for the real logger only when an event at a
 * published level is logged. Why: the first {@link System#getLogger} in a process makes the JDK
 * look for a {@code System.LoggerFinder} in the {@code META-INF/services} of every jar on the
 * class path (164 in the release), which was a fifth of a small {@code restore}'s CPU, although a
 * restore that goes well logs nothing.
 *
 * <p>Guarantees: every event is passed to the JDK's logger of the same name exactly as a
 * {@code System.getLogger(name)} logger would receive it (same method, level and arguments), so
 * what is written does not change; only events below the level an application declared with
 * {@link #publishedFrom} are dropped before that logger is made, and an application that declares
 * nothing gets every event through, as before. Not guaranteed: a log backend that infers the
 * calling class from the stack sees this class's frame among the callers.
 */
public final class Loggers {
    /** The lowest severity the application publishes; {@code Integer.MIN_VALUE}: not declared, everything passes. */
    private static volatile int publishedFrom = Integer.MIN_VALUE;

    /** Run before each of our loggers asks the JDK for its own: the application's chance to start its log backend. */
    private static volatile Runnable beforeJdkLogger = () -> {};

    private Loggers() {}

    /** A logger named after {@code owner}, as {@code System.getLogger(owner.getName())}. */
    public static System.Logger get(Class<?> owner) {
        return get(owner.getName());
    }

    /** A logger of this name, made on the first event at a published level. */
    public static System.Logger get(String name) {
        return new Lazy(Objects.requireNonNull(name));
    }

    /**
     * Declares that the application publishes no event below {@code level} (its log handlers drop
     * them), so such events need no logger; for the CLI, which configures the only handler.
     */
    public static void publishedFrom(System.Logger.Level level) {
        publishedFrom(level, () -> {});
    }

    /**
     * {@link #publishedFrom(System.Logger.Level)}, and {@code beforeJdkLogger} is run (in the
     * logging thread) before any of our loggers first asks the JDK for its logger: for an
     * application that sets its log backend up only when something is logged.
     */
    public static void publishedFrom(System.Logger.Level level, Runnable beforeJdkLogger) {
        Loggers.beforeJdkLogger = Objects.requireNonNull(beforeJdkLogger);
        publishedFrom = level.getSeverity();
    }

    private static final class Lazy implements System.Logger {
        private final String name;
        private volatile System.Logger delegate;

        Lazy(String name) {
            this.name = name;
        }

        /** True if an event at {@code level} is certainly dropped, answered without a logger. */
        private static boolean unpublished(Level level) {
            return level != Level.OFF && level.getSeverity() < publishedFrom;
        }

        private System.Logger delegate() {
            System.Logger d = delegate;
            if (d == null) {
                beforeJdkLogger.run();
                d = System.getLogger(name); // racing threads get the JDK's same logger
                delegate = d;
            }
            return d;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return !unpublished(level) && delegate().isLoggable(level);
        }

        @Override
        public void log(Level level, String msg) {
            if (!unpublished(level)) {
                delegate().log(level, msg);
            }
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            if (!unpublished(level)) {
                delegate().log(level, msgSupplier);
            }
        }

        @Override
        public void log(Level level, Object obj) {
            if (!unpublished(level)) {
                delegate().log(level, obj);
            }
        }

        @Override
        public void log(Level level, String msg, Throwable thrown) {
            if (!unpublished(level)) {
                delegate().log(level, msg, thrown);
            }
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier, Throwable thrown) {
            if (!unpublished(level)) {
                delegate().log(level, msgSupplier, thrown);
            }
        }

        @Override
        public void log(Level level, String format, Object... params) {
            if (!unpublished(level)) {
                delegate().log(level, format, params);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (!unpublished(level)) {
                delegate().log(level, bundle, msg, thrown);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (!unpublished(level)) {
                delegate().log(level, bundle, format, params);
            }
        }
    }
}
