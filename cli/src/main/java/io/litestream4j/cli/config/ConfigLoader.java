package io.litestream4j.cli.config;

import io.litestream4j.core.GoDuration;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Litestream 0.5 config file. Strict: an unknown key, or a value or feature we cannot
 * honour, is an error naming the file, the line and the key; a key only Litestream 0.3 knew is a
 * warning saying it is ignored. A misconfigured feature never silently does nothing.
 *
 * <p>Beyond Litestream 0.5: {@code replicas:} may list several destinations per database.
 *
 * <p>Each block has its reader ({@link CompactionSection}, {@link LoggingSection},
 * {@link DatabaseSection}, {@link ReplicaSection}); the keys a block knows are those its reader
 * asks for (see {@link YamlSection#finish}), so no list of keys can drift from the code.
 */
public final class ConfigLoader {
    /** The config path when neither -config nor LITESTREAM_CONFIG gives one. */
    public static final Path DEFAULT_PATH = Path.of("/etc/litestream.yml");

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)\\}|\\$([A-Za-z_][A-Za-z0-9_]*)");
    static final String NOT_YET = "not supported by litestream4j yet; remove it (a setting that did nothing would be worse)";

    private final Map<String, ReplicaClientFactory> factories;
    private final Map<String, String> env;
    private final boolean expandEnv;
    private final List<String> warnings = new ArrayList<>();

    private ConfigLoader(Map<String, ReplicaClientFactory> factories, Map<String, String> env, boolean expandEnv) {
        this.factories = factories;
        this.env = env;
        this.expandEnv = expandEnv;
    }

    /** The config file to read: {@code flag}, else {@code $LITESTREAM_CONFIG}, else /etc/litestream.yml. */
    public static Path resolvePath(Path flag, Map<String, String> env) {
        if (flag != null) {
            return flag;
        }
        String fromEnv = env.get("LITESTREAM_CONFIG");
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : DEFAULT_PATH;
    }

    /** Loads {@code file}, expanding {@code $VAR} and {@code ${VAR}} from the environment unless told not to. */
    public static Config load(Path file, boolean expandEnv) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IOException("config file %s does not exist".formatted(file.toAbsolutePath()), e);
        }
        return parse(file, text, System.getenv(), expandEnv);
    }

    /** Parses config text as if read from {@code file}. */
    public static Config parse(Path file, String text, Map<String, String> env, boolean expandEnv) {
        return new ConfigLoader(ReplicaClients.factories(), env, expandEnv).read(file, text);
    }

    private Config read(Path file, String text) {
        String expanded = expandEnv ? expand(text) : text;
        YamlSection root = YamlSection.parse(file.toString(), expanded);
        for (String key : List.of("age")) {
            if (root.has(key)) {
                root.string(key);
                throw root.unsupported(key, NOT_YET);
            }
        }
        SocketSection socket = SocketSection.read(root, warnings);
        Duration validationInterval = root.section("validation").map(v -> {
            Duration d = v.duration("interval").orElse(null);
            if (d != null && !d.isPositive()) {
                throw v.invalid("interval", GoDuration.format(d), "a positive duration such as 1h, or no validation block");
            }
            v.finish(Map.of(), warnings);
            return d;
        }).orElse(null);
        boolean verifyCompaction = root.bool("verify-compaction").orElse(false);
        CompactionSettings compaction = CompactionSection.read(root, warnings);
        String addr = root.string("addr").map(String::strip).filter(a -> !a.isEmpty()).orElse(null);
        if (addr != null && !addr.matches("[^:]*:\\d{1,5}")) {
            throw root.invalid("addr", addr, "host:port or :port, for example :9090");
        }
        String mcpAddr = root.string("mcp-addr").map(String::strip).filter(a -> !a.isEmpty()).orElse(null);
        if (mcpAddr != null && !mcpAddr.matches("[^:]*:\\d{1,5}")) {
            throw root.invalid("mcp-addr", mcpAddr, "host:port or :port, for example 127.0.0.1:3001");
        }
        URI heartbeatUrl = root.string("heartbeat-url").map(String::strip).filter(u -> !u.isEmpty()).map(u -> httpUrl(root, "heartbeat-url", u)).orElse(null);
        Duration heartbeatInterval = root.duration("heartbeat-interval").orElse(Duration.ofMinutes(5));
        if (heartbeatInterval.compareTo(Duration.ofMinutes(1)) < 0) {
            throw root.invalid("heartbeat-interval", GoDuration.format(heartbeatInterval), "at least 1m");
        }
        String exec = root.string("exec").map(String::strip).filter(e -> !e.isEmpty()).orElse(null);
        Duration shutdownTimeout = root.duration("shutdown-sync-timeout").orElse(Duration.ofSeconds(30));
        root.duration("shutdown-sync-interval"); // Litestream polls at it; we wait on the upload itself
        LoggingSection logging = LoggingSection.read(root, warnings);
        DatabaseSection dbs = new DatabaseSection(root, new ReplicaSection(root, factories, warnings), env, warnings);
        root.finish(Map.of(), warnings);
        return new Config(file, dbs.dbs, dbs.directories, compaction, addr, heartbeatUrl, heartbeatInterval, exec, shutdownTimeout,
                logging.level(), logging.json(), logging.stdout(), socket, validationInterval, verifyCompaction, mcpAddr, warnings);
    }

    private static URI httpUrl(YamlSection section, String key, String text) {
        try {
            URI uri = new URI(text);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw section.invalid(key, text, "an http:// or https:// URL");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw section.invalid(key, text, "an http:// or https:// URL");
        }
    }

    private String expand(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(env.getOrDefault(name, "")));
        }
        m.appendTail(out);
        return out.toString();
    }
}
