package io.litestream4j.jdbc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code jdbc:litestream:PATH?replica=URL[&replica=URL2][&sync-interval=1s][&SQLITE_PARAM=...]}
 * URL, split into what is ours and what passes through to sqlite-jdbc. Values are URL-decoded,
 * so a replica URL that has its own query string is written percent-encoded.
 *
 * @param database the database file, absolute
 * @param replicas the replica URLs or folders, at least one
 * @param syncInterval the least time between uploads, or null for the backend's default
 * @param sqliteQuery the other parameters, as given, for sqlite-jdbc (empty if none)
 */
record JdbcUrl(Path database, List<String> replicas, Duration syncInterval, String sqliteQuery) {
    static final String PREFIX = "jdbc:litestream:";
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    static boolean accepts(String url) {
        return url != null && url.startsWith(PREFIX);
    }

    static JdbcUrl parse(String url) {
        String rest = url.substring(PREFIX.length());
        int q = rest.indexOf('?');
        String path = q < 0 ? rest : rest.substring(0, q);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("invalid URL %s: want %sPATH?replica=URL".formatted(url, PREFIX));
        }
        List<String> replicas = new ArrayList<>();
        Duration syncInterval = null;
        List<String> passed = new ArrayList<>();
        for (String pair : q < 0 ? new String[0] : rest.substring(q + 1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            switch (key) {
                case "replica" -> {
                    if (value.isEmpty()) {
                        throw new IllegalArgumentException("invalid URL %s: replica= is empty: want a replica URL or folder".formatted(url));
                    }
                    replicas.add(value);
                }
                case "sync-interval" -> syncInterval = duration(url, key, value);
                default -> passed.add(pair);
            }
        }
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("invalid URL %s: no replica: add ?replica=URL (s3://bucket/path, file:///backups/app, or a folder)"
                    .formatted(url));
        }
        return new JdbcUrl(Path.of(path).toAbsolutePath().normalize(), List.copyOf(replicas), syncInterval, String.join("&", passed));
    }

    /** {@code 500ms}, {@code 1s}, {@code 5m}, {@code 1h}. */
    private static Duration duration(String url, String key, String value) {
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid URL %s: %s=%s: want a duration such as 500ms, 1s, 5m or 1h".formatted(url, key, value));
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    /** The sqlite-jdbc file name: the path with the parameters that are sqlite-jdbc's. */
    String sqliteFileName() {
        return sqliteQuery.isEmpty() ? database.toString() : database + "?" + sqliteQuery;
    }
}
