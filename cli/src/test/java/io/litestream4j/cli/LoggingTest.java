package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.log.Loggers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoggingTest {
    private final StringWriter text = new StringWriter();
    private final PrintWriter err = new PrintWriter(text, true);

    @AfterEach
    void everyLevelPublishedAgain() {
        Loggers.publishedFrom(System.Logger.Level.ALL);
    }

    @Test
    void lazyLoggersWriteTheLinesTheJdksLoggersWrite() {
        Logging.configure(Level.INFO, err);
        System.getLogger("test.jdk").log(System.Logger.Level.WARNING, "restored {0}, but removing {1} failed: {2}", "a", 2, "c\"d");
        Loggers.get("test.lazy").log(System.Logger.Level.WARNING, "restored {0}, but removing {1} failed: {2}", "a", 2, "c\"d");
        System.getLogger("test.jdk").log(System.Logger.Level.ERROR, "boom", new java.io.IOException("disk"));
        Loggers.get("test.lazy").log(System.Logger.Level.ERROR, "boom", new java.io.IOException("disk"));
        List<String> lines = text.toString().lines().map(l -> l.replaceFirst("^time=\\S+ ", "")).toList();
        assertThat(lines).containsExactly(
                "level=WARN msg=\"restored a, but removing 2 failed: c\\\"d\"", "level=WARN msg=\"restored a, but removing 2 failed: c\\\"d\"",
                "level=ERROR msg=\"boom\"", "level=ERROR msg=\"boom\"");
    }

    @Test
    void eventsBelowTheConfiguredLevelNeverReachTheJdksLogger() {
        // A handler on the JDK logger of that name, open to every level: it sees what the facade passes on.
        Logger jul = Logger.getLogger("test.below");
        List<LogRecord> seen = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                seen.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        jul.addHandler(capture);
        jul.setLevel(Level.ALL);
        try {
            System.Logger lazy = Loggers.get("test.below");
            Logging.configure(Level.INFO, err);
            lazy.log(System.Logger.Level.DEBUG, "not {0}", "published");
            assertThat(lazy.isLoggable(System.Logger.Level.DEBUG)).isFalse();
            assertThat(seen).isEmpty();
            lazy.log(System.Logger.Level.INFO, "published {0}", 1);
            assertThat(seen).extracting(LogRecord::getLevel, LogRecord::getMessage).containsExactly(org.assertj.core.groups.Tuple.tuple(Level.INFO, "published {0}"));

            Logging.configure(Level.FINE, err);
            assertThat(lazy.isLoggable(System.Logger.Level.DEBUG)).isTrue();
            lazy.log(System.Logger.Level.DEBUG, "now {0}", "published");
            assertThat(seen).hasSize(2);
            assertThat(text.toString()).contains("level=DEBUG msg=\"now published\"").doesNotContain("not published");
        } finally {
            jul.removeHandler(capture);
            jul.setLevel(null);
        }
    }
}
