package io.litestream4j.cli.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The top-level {@code socket} block: the control socket, as Litestream 0.5 spells it.
 *
 * @param enabled whether {@code replicate} listens on it (default false)
 * @param path the unix socket's file (default {@code /var/run/litestream.sock})
 * @param permissions the socket file's mode bits (default {@code 0600}: its owner alone may drive the replicator)
 */
public record SocketSection(boolean enabled, Path path, int permissions) {
    public static final Path DEFAULT_PATH = Path.of("/var/run/litestream.sock");
    public static final int DEFAULT_PERMISSIONS = 0600;

    public static SocketSection defaults() {
        return new SocketSection(false, DEFAULT_PATH, DEFAULT_PERMISSIONS);
    }

    static SocketSection read(YamlSection root, List<String> warnings) {
        var socket = root.section("socket");
        if (socket.isEmpty()) {
            return defaults();
        }
        YamlSection s = socket.get();
        boolean enabled = s.bool("enabled").orElse(false);
        Path path = s.string("path").map(String::strip).filter(p -> !p.isEmpty()).map(Path::of).orElse(DEFAULT_PATH);
        int permissions = s.string("permissions").map(String::strip).map(p -> permissions(s, p)).orElse(DEFAULT_PERMISSIONS);
        s.finish(Map.of(), warnings);
        return new SocketSection(enabled, path, permissions);
    }

    /**
     * A mode as YAML (and Litestream's Go decoder) reads it: {@code 0600} and {@code 0o600} are
     * octal, {@code 384} decimal. Anything beyond {@code 0777} is refused: a decimal {@code 600}
     * (octal 1130) was surely meant as {@code 0600}.
     */
    static int permissions(YamlSection s, String text) {
        int mode;
        try {
            if (text.startsWith("0o") || text.startsWith("0O")) {
                mode = Integer.parseInt(text.substring(2), 8);
            } else if (text.length() > 1 && text.startsWith("0")) {
                mode = Integer.parseInt(text.substring(1), 8);
            } else {
                mode = Integer.parseInt(text);
            }
        } catch (NumberFormatException e) {
            throw s.invalid("permissions", text, "an octal file mode such as 0600");
        }
        if (mode < 0 || mode > 0777) {
            throw s.invalid("permissions", text, "an octal file mode from 0000 to 0777, such as 0600");
        }
        return mode;
    }
}
