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
 * error, one line per event, in the shapes of Litestream's logs: text,
 * {@code time=... level=INFO msg="..."}, or JSON, {@code {"time":"...","level":"INFO","msg":"..."}}.
 */
final class Logging {
    private Logging() {}

    /** Held here because the log manager keeps loggers only weakly: a collected one forgets its level. */
    private static final List<Logger> JDK_LOGGERS = List.of(Logger.getLogger("sun"), Logger.getLogger("java"), Logger.getLogger("jdk"));

    /** Parses {@code debug|info|warn|error} (Litestream's level names). */
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
        configure(level, err, false);
    }

    /** Sends every log event at {@code level} or above to {@code err}, as text or as JSON lines. */
    static void configure(Level level, PrintWriter err, boolean json) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new Handler() {
            private final Formatter format = json ? new JsonFormatter() : new LineFormatter();

            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    // Formatted before the lock: thousands of databases starting at once log a line
                    // each, and formatting under the lock made them queue for it (JFR at 2,000
                    // databases: 16 s of the start threads' time waiting here).
                    String line = format.format(r);
                    synchronized (err) {
                        err.print(line);
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

    private static String levelName(LogRecord r) {
        return r.getLevel() == Level.SEVERE ? "ERROR"
                : r.getLevel() == Level.WARNING ? "WARN"
                : r.getLevel().intValue() < Level.INFO.intValue() ? "DEBUG" : "INFO";
    }

    private static final class JsonFormatter extends Formatter {
        /**
         * Made only for JSON logs: an ObjectMapper loads some 400 Jackson classes, which every
         * command that configures text logging (restore, replicate) paid for at start-up.
         */
        private final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();

        @Override
        public String format(LogRecord r) {
            java.util.Map<String, String> event = new java.util.LinkedHashMap<>();
            event.put("time", Instant.ofEpochMilli(r.getMillis()).toString());
            event.put("level", levelName(r));
            event.put("msg", formatMessage(r));
            if (r.getThrown() != null && r.getLevel().intValue() < Level.INFO.intValue()) {
                event.put("error", r.getThrown().toString());
            }
            try {
                return json.writeValueAsString(event) + System.lineSeparator();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("a map of strings always serialises", e);
            }
        }
    }

    private static final class LineFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            String level = levelName(r);
            String msg = formatMessage(r).replace("\"", "\\\"");
            String line = "time=%s level=%s msg=\"%s\"".formatted(Instant.ofEpochMilli(r.getMillis()), level, msg);
            if (r.getThrown() != null && r.getLevel().intValue() < Level.INFO.intValue()) {
                line += " error=\"" + r.getThrown() + "\"";
            }
            return line + System.lineSeparator();
        }
    }
}
