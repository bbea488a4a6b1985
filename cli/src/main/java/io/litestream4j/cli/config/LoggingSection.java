package io.litestream4j.cli.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The top-level {@code logging} block.
 *
 * @param level {@code logging.level}, or null for the command line's
 * @param json {@code logging.type: json}
 * @param stdout {@code logging.stderr: false}
 */
record LoggingSection(String level, boolean json, boolean stdout) {
    private static final Set<String> LEVELS = Set.of("debug", "info", "warn", "warning", "error");

    static LoggingSection read(YamlSection root, List<String> warnings) {
        var logging = root.section("logging");
        if (logging.isEmpty()) {
            return new LoggingSection(null, false, false);
        }
        YamlSection l = logging.get();
        String level = l.string("level").map(v -> v.strip().toLowerCase(Locale.ROOT)).orElse(null);
        if (level != null && !LEVELS.contains(level)) {
            throw l.invalid("level", level, "debug, info, warn or error");
        }
        String type = l.string("type").map(String::strip).orElse("text");
        if (!type.equals("text") && !type.equals("json")) {
            throw l.invalid("type", type, "text or json");
        }
        boolean stdout = !l.bool("stderr").orElse(true);
        l.finish(Map.of(), warnings);
        return new LoggingSection(level, type.equals("json"), stdout);
    }
}
