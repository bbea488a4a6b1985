package io.litestream4j.core;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of every live thread of this JVM, virtual ones included ({@link Thread#getAllStackTraces}
 * sees platform threads only): for tests that check nothing is left running after a close.
 */
public final class LiveThreads {
    private static final Pattern NAME = Pattern.compile("\"name\": \"((?:[^\"\\\\]|\\\\.)*)\"");

    private LiveThreads() {}

    public static List<String> names() {
        try {
            Path dump = Files.createTempFile("threads-", ".json");
            Files.delete(dump); // dumpThreads refuses to overwrite
            try {
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpThreads(dump.toString(),
                        HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                List<String> names = new ArrayList<>();
                Matcher m = NAME.matcher(Files.readString(dump));
                while (m.find()) {
                    names.add(m.group(1).replace("\\/", "/").replace("\\\\", "\\").replace("\\\"", "\""));
                }
                return names;
            } finally {
                Files.deleteIfExists(dump);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Live threads whose name contains {@code part}. */
    public static List<String> named(String part) {
        return names().stream().filter(n -> n.contains(part)).toList();
    }

    /** How many live threads are called exactly {@code name}. */
    public static long count(String name) {
        return names().stream().filter(name::equals).count();
    }
}
