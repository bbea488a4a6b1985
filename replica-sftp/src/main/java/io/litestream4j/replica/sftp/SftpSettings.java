package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where an SFTP replica is and how to log in, read once from the URL or config section. The
 * password and key passphrase never appear in {@link #toString()} or {@link #location()}.
 *
 * @param host the server's host name or address
 * @param port its SSH port (22 unless given)
 * @param user the login name
 * @param password the password, or null
 * @param keyPath a private key file (OpenSSH or PEM format), or null
 * @param keyPassphrase the private key's passphrase, or null
 * @param hostKey the server's public key in authorized_keys format, or null
 * @param knownHosts the known_hosts file consulted when {@code hostKey} is null
 * @param skipHostKeyCheck true only when the user opted out of host-key verification
 * @param path the replica's folder on the server: absolute from a URL (as Litestream takes it),
 *     as written in a config section (relative to the login folder unless it starts with /), "" for
 *     the login folder itself
 * @param timeout the longest wait for the connection, the login and each request
 * @param concurrentWrites true to keep several write requests of one upload in flight (Litestream's
 *     {@code concurrent-writes}, default true)
 * @param agentSocket the SSH agent's socket ({@code SSH_AUTH_SOCK}) whose keys a login also offers, or null
 */
public record SftpSettings(String host, int port, String user, String password, Path keyPath, String keyPassphrase, String hostKey,
        Path knownHosts, boolean skipHostKeyCheck, String path, Duration timeout, boolean concurrentWrites, Path agentSocket) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    static final String SKIP_HOST_KEY_CHECK = "insecure-skip-host-key-check";

    public SftpSettings {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: want 1 to 65535, got " + port);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: want more than 0, got " + timeout);
        }
    }

    /** Reads a URL ({@code sftp://user[:password]@host[:port]/path?options}) or a config section. */
    static SftpSettings from(ReplicaSpec spec) throws IOException {
        return from(spec, System.getenv());
    }

    /** {@link #from(ReplicaSpec)} with {@code env} for the environment ({@code SSH_AUTH_SOCK}). */
    static SftpSettings from(ReplicaSpec spec, java.util.Map<String, String> env) throws IOException {
        if (spec.url() != null && (spec.get("host") != null || spec.get("path") != null)) {
            throw spec.error("set url, or host and path, not both");
        }
        String host = spec.host();
        int port = spec.port(22);
        if (spec.url() == null && host != null && host.matches("[^:\\[\\]]+:\\d+")) {
            // Litestream's host key may carry the port: "host:2222".
            port = Integer.parseInt(host.substring(host.indexOf(':') + 1));
            host = host.substring(0, host.indexOf(':'));
        }
        if (host == null || host.isBlank()) {
            throw spec.error("want a host (sftp://user@host/path, or the host key)");
        }
        String user = spec.user();
        if (user == null || user.isBlank()) {
            throw spec.error("want a user (sftp://user@host/path, or the user key)");
        }
        String keyPath = spec.get("key-path");
        String hostKey = spec.get("host-key");
        boolean skip = spec.bool(SKIP_HOST_KEY_CHECK, false);
        if (skip && hostKey != null) {
            throw spec.error("set host-key or %s, not both".formatted(SKIP_HOST_KEY_CHECK));
        }
        String knownHosts = spec.get("known-hosts-path", Path.of(System.getProperty("user.home"), ".ssh", "known_hosts").toString());
        Duration timeout = spec.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.isZero()) {
            throw spec.error("timeout=0: want more than 0");
        }
        if (port < 1 || port > 65535) {
            throw spec.error("port %d: want 1 to 65535".formatted(port));
        }
        return new SftpSettings(host, port, user, spec.password(), keyPath == null ? null : expandHome(keyPath), spec.get("key-passphrase"),
                hostKey, expandHome(knownHosts), skip, folder(spec), timeout, spec.bool("concurrent-writes", true), agentSocket(env));
    }

    /** {@code SSH_AUTH_SOCK}: the SSH agent whose keys a login also offers, as OpenSSH's client does; null without one. */
    private static Path agentSocket(java.util.Map<String, String> env) {
        String socket = env.get("SSH_AUTH_SOCK");
        return socket == null || socket.isBlank() ? null : Path.of(socket);
    }

    /** The URL's path as Litestream takes it (absolute: {@code sftp://h/backups} is {@code /backups}), else the path key as written. */
    private static String folder(ReplicaSpec spec) {
        String p = spec.url() != null ? spec.url().getPath() : spec.get("path", "");
        if (p == null) {
            return "";
        }
        return p.length() > 1 ? p.replaceAll("/+$", "") : p;
    }

    private static Path expandHome(String p) {
        return p.equals("~") || p.startsWith("~/") ? Path.of(System.getProperty("user.home") + p.substring(1)) : Path.of(p);
    }

    /** The remote path of {@code name} inside the replica's folder. */
    String resolve(String name) {
        if (path.isEmpty()) {
            return name;
        }
        return path.endsWith("/") ? path + name : path + "/" + name;
    }

    /** The replica as a URL without secrets, for messages: {@code sftp://user@host:port/path}. */
    String location() {
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        // A folder relative to the login folder shows as /~/folder, as SFTP URLs write it.
        String p = path.startsWith("/") ? path : "/~/" + path;
        return "sftp://%s@%s%s%s".formatted(user, shownHost, port == 22 ? "" : ":" + port, p);
    }

    /** {@code [host]:port} as known_hosts and error messages name a server. */
    String hostAndPort() {
        return port == 22 ? host : "[%s]:%d".formatted(host, port);
    }

    @Override
    public String toString() {
        return "SftpSettings[%s, password %s, key-path %s, key-passphrase %s, ssh agent %s, host-key %s, known-hosts %s, %s%s, timeout %s]".formatted(
                location(), password == null ? "unset" : "*****", keyPath, keyPassphrase == null ? "unset" : "*****",
                agentSocket == null ? "unset" : agentSocket, hostKey == null ? "unset" : "set", knownHosts, skipHostKeyCheck ? SKIP_HOST_KEY_CHECK + ", " : "",
                concurrentWrites ? "concurrent writes" : "sequential writes", timeout);
    }
}
