package io.litestream4j.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes the engine's {@link System.Logger} output (java.util.logging underneath) to standard
 * error, one line per event: {@code time=... level=INFO msg="..."}, the shape of Litestream's
 * text logs.
 */
final class Logging {
    private Logging() {}

    /** Parses {@code debug|info|warn|error} (Litestream's level names). */
    /** Held here because the log manager keeps loggers only weakly: a collected one forgets its level. */
    private static final List<Logger> JDK_LOGGERS = List.of(Logger.getLogger("sun"), Logger.getLogger("java"), Logger.getLogger("jdk"));

    static Level parseLevel(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "debug", "trace" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> throw new IllegalArgumentException("invalid log level \"%s\": want debug, info, warn or error".formatted(name));
        };
    }

    static void configure(Level level, PrintWriter err) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new Handler() {
            private final Formatter format = new LineFormatter();

            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    synchronized (err) {
                        err.print(format.format(r));
                        err.flush();
                    }
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                err.flush();
            }
        };
        handler.setLevel(level);
        root.addHandler(handler);
        root.setLevel(level);
        // The JDK's own classes log through the same root; keep them quiet below warnings.
        for (Logger jdk : JDK_LOGGERS) {
            jdk.setLevel(Level.WARNING);
        }
        new ConsoleHandler().close();
    }

    private static final class LineFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            String level = r.getLevel() == Level.SEVERE ? "ERROR"
                    : r.getLevel() == Level.WARNING ? "WARN"
                    : r.getLevel().intValue() < Level.INFO.intValue() ? "DEBUG" : "INFO";
            String msg = formatMessage(r).replace("\"", "\\\"");
            String line = "time=%s level=%s msg=\"%s\"".formatted(Instant.ofEpochMilli(r.getMillis()), level, msg);
            if (r.getThrown() != null && r.getLevel().intValue() < Level.INFO.intValue()) {
                line += " error=\"" + r.getThrown() + "\"";
            }
            return line + System.lineSeparator();
        }
    }
}
