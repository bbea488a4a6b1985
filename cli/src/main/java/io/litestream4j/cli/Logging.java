package io.litestream4j.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes the engine's {@link System.Logger} output (java.util.logging underneath) to standard
 * error, one line per event, in the shapes of Litestream's logs: text,
 * {@code time=... level=INFO msg="..."}, or JSON, {@code {"time":"...","level":"INFO","msg":"..."}}.
 *
 * <p>java.util.logging is not started by {@link #configure}, only when something first logs or
 * uses it: starting it makes the JDK look for a {@code System.LoggerFinder} in every jar on the
 * class path (164 in the release), most of a small {@code restore}'s start-up, and a command that
 * goes well logs nothing. {@code configure} names {@link Setup} as java.util.logging's
 * configuration class, so whoever starts it (our first logged event, or a library's logger)
 * starts it with our handler; and if it had already been started before {@code configure}, our
 * handler is put in place before our first event reaches it.
 */
final class Logging {
    private Logging() {}

    private static final String CONFIG_CLASS = "java.util.logging.config.class";

    /** What {@link #configure} asked for: the level, where lines go, and whether as JSON. */
    private record Settings(Level level, PrintWriter err, boolean json) {}

    private static volatile Settings settings = new Settings(Level.INFO, new PrintWriter(System.err, true), false);

    /** True once java.util.logging publishes through our handler (set under the class lock or by {@link Setup}). */
    private static volatile boolean installed;

    /** Held here because the log manager keeps loggers only weakly: a collected one forgets its level. */
    private static List<Logger> jdkLoggers = List.of();

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
    static synchronized void configure(Level level, PrintWriter err, boolean json) {
        settings = new Settings(level, err, json);
        // Our System.Loggers need not be made for events the handler would drop (see Loggers).
        io.litestream4j.core.log.Loggers.publishedFrom(systemLevel(level), Logging::install);
        if (installed) {
            installNow(); // already running with our handler: replace it with one for these settings
        } else if (System.getProperty(CONFIG_CLASS) == null && System.getProperty("java.util.logging.config.file") == null) {
            // A configuration of the user's own (LITESTREAM_JAVA_OPTS) is read when it starts; ours replaces its root handlers at our first event.
            System.setProperty(CONFIG_CLASS, Setup.class.getName());
        }
    }

    /** The lowest {@link System.Logger.Level} whose events a handler at {@code level} publishes. */
    private static System.Logger.Level systemLevel(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return System.Logger.Level.ERROR;
        }
        if (v >= Level.WARNING.intValue()) {
            return System.Logger.Level.WARNING;
        }
        if (v >= Level.INFO.intValue()) {
            return System.Logger.Level.INFO;
        }
        return v >= Level.FINE.intValue() ? System.Logger.Level.DEBUG : System.Logger.Level.ALL;
    }

    /** Run before our first logger is made: java.util.logging started, with our handler in place. */
    private static synchronized void install() {
        LogManager.getLogManager(); // starts it (running Setup) unless it was started before
        if (!installed) {
            installNow();
        }
    }

    /** Puts our handler on the root logger now (java.util.logging is started if it was not). */
    private static synchronized void installNow() {
        Settings s = settings;
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(new Publisher());
        root.setLevel(s.level());
        // The JDK's own classes log through the same root; keep them quiet below warnings.
        jdkLoggers = List.of(Logger.getLogger("sun"), Logger.getLogger("java"), Logger.getLogger("jdk"));
        for (Logger jdk : jdkLoggers) {
            jdk.setLevel(Level.WARNING);
        }
        new ConsoleHandler().close();
        installed = true;
    }

    /**
     * java.util.logging's configuration class ({@code java.util.logging.config.class}): made by
     * its log manager while it starts, in whichever thread starts it; configures what
     * {@link #installNow} would, through the log manager's own properties.
     */
    public static final class Setup {
        public Setup() throws IOException {
            Settings s = settings;
            String properties = "handlers=" + Publisher.class.getName() + "\n.level=" + s.level().getName()
                    + "\nsun.level=WARNING\njava.level=WARNING\njdk.level=WARNING\n";
            LogManager.getLogManager().readConfiguration(new ByteArrayInputStream(properties.getBytes(StandardCharsets.ISO_8859_1)));
            installed = true;
        }
    }

    /** Our one handler: every event at the configured level or above, as a line on the configured writer. */
    public static final class Publisher extends Handler {
        private final PrintWriter err;
        private final Formatter format;

        /** For the log manager ({@link Setup}'s {@code handlers}): the settings of the last {@link #configure}. */
        public Publisher() {
            Settings s = settings;
            this.err = s.err();
            this.format = s.json() ? new JsonFormatter() : new LineFormatter();
            setLevel(s.level());
        }

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
