package io.litestream4j.core.replica;

import io.litestream4j.core.GoDuration;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a replica is and how to reach it, whether it came as a URL, a config section, or both:
 * the one shape a backend's factory reads, so no backend parses URLs and config keys twice.
 *
 * <p>A setting is looked up in the config keys first, then in the URL's query (whose names may
 * be spelled {@code kebab-case}, {@code camelCase} or {@code snake_case}: all mean the same key).
 * The URL's user, password, host, port and path are {@link #user()} etc.; a config section
 * without a URL gives them as the keys {@code user}, {@code password}, {@code host},
 * {@code port} and {@code path}. Secrets ({@link ReplicaClientFactory#secretKeys()}, the URL's
 * password) never appear in {@link #toString()} or in an error from here.
 *
 * @param scheme the backend's scheme, lower-case
 * @param url the URL, or null when the section gives keys only
 * @param keys the section's keys (without {@code type}, {@code url}, {@code name}, {@code sync-interval})
 * @param secretKeys the keys whose values are secrets
 */
public record ReplicaSpec(String scheme, URI url, Map<String, String> keys, Set<String> secretKeys) {
    public ReplicaSpec {
        scheme = scheme.toLowerCase(Locale.ROOT);
        Map<String, String> normal = new TreeMap<>();
        keys.forEach((k, v) -> normal.put(normalize(k), v));
        if (url != null && url.getRawQuery() != null) {
            for (String pair : url.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = normalize(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8));
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                normal.putIfAbsent(k, v);
            }
        }
        keys = Map.copyOf(normal);
        secretKeys = Set.copyOf(secretKeys);
    }

    /** From a URL alone. */
    public static ReplicaSpec of(URI url, ReplicaClientFactory factory) {
        return new ReplicaSpec(url.getScheme(), url, Map.of(), factory.secretKeys());
    }

    /** From a config section: its type, its URL (or null) and its backend keys. */
    public static ReplicaSpec of(String type, URI url, Map<String, String> keys, ReplicaClientFactory factory) {
        return new ReplicaSpec(url != null ? url.getScheme() : type, url, keys, factory.secretKeys());
    }

    /** {@code sseCustomerKey}, {@code sse_customer_key} and {@code sse-customer-key} are one key. */
    static String normalize(String key) {
        return key.replaceAll("([a-z0-9])([A-Z])", "$1-$2").replace('_', '-').toLowerCase(Locale.ROOT);
    }

    /** A setting, or null when neither the section nor the URL's query gives it. */
    public String get(String key) {
        String v = keys.get(normalize(key));
        return v == null || v.isEmpty() ? null : v;
    }

    /** A setting, or {@code fallback}. */
    public String get(String key, String fallback) {
        String v = get(key);
        return v != null ? v : fallback;
    }

    /** A setting that must be given; its absence is an error saying what the key is for. */
    public String require(String key, String meaning) throws IOException {
        String v = get(key);
        if (v == null) {
            throw error("want %s (%s)".formatted(key, meaning));
        }
        return v;
    }

    /** The URL's host, else the {@code host} key; null when neither is given. */
    public String host() {
        return url != null && url.getHost() != null ? url.getHost() : get("host");
    }

    /** The URL's port, else the {@code port} key, else {@code fallback}. */
    public int port(int fallback) throws IOException {
        if (url != null && url.getPort() >= 0) {
            return url.getPort();
        }
        return integer("port", fallback);
    }

    /** The user of the URL's user-info, else the {@code user} key. */
    public String user() {
        String info = url == null ? null : url.getUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            return colon < 0 ? info : info.substring(0, colon);
        }
        return get("user");
    }

    /** The password of the URL's user-info, else the {@code password} key. */
    public String password() {
        String info = url == null ? null : url.getUserInfo();
        if (info != null && info.indexOf(':') >= 0) {
            return info.substring(info.indexOf(':') + 1);
        }
        return get("password");
    }

    /** The URL's path without its leading and trailing slashes, else the {@code path} key's; "" for none. */
    public String path() {
        String p = url != null && url.getPath() != null && !url.getPath().isEmpty() ? url.getPath() : get("path", "");
        return p.replaceAll("^/+", "").replaceAll("/+$", "");
    }

    /** A whole-number setting, or {@code fallback}. */
    public int integer(String key, int fallback) throws IOException {
        String v = get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw error("%s=%s: want a whole number".formatted(key, shown(key, v)));
        }
    }

    /** A true/false setting, or {@code fallback}. */
    public boolean bool(String key, boolean fallback) throws IOException {
        String v = get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw error("%s=%s: want true or false".formatted(key, shown(key, v)));
        };
    }

    /** A duration setting in Go's spelling ({@code 500ms}, {@code 10s}, {@code 1m30s}), or {@code fallback}. */
    public Duration duration(String key, Duration fallback) throws IOException {
        String v = get(key);
        if (v == null) {
            return fallback;
        }
        Duration d = GoDuration.parse(v);
        if (d == null) {
            throw error("%s=%s: want a duration such as 500ms, 10s, 1m or 1h".formatted(key, shown(key, v)));
        }
        return d;
    }

    /** An error about this replica, naming where it is (without secrets). */
    public IOException error(String message) {
        return new IOException("%s replica %s: %s".formatted(scheme, this, message));
    }

    private String shown(String key, String value) {
        return isSecret(key) ? "*****" : value;
    }

    private boolean isSecret(String key) {
        String k = normalize(key);
        return secretKeys.stream().map(ReplicaSpec::normalize).anyMatch(k::equals);
    }

    /** Where the replica is: the URL without password or secret query values, or the section's non-secret keys. */
    @Override
    public String toString() {
        if (url != null) {
            return ReplicaClients.redact(url.toString(), secretKeys);
        }
        Map<String, String> shown = new LinkedHashMap<>();
        keys.forEach((k, v) -> shown.put(k, ReplicaClients.redact(shown(k, v)))); // a value may be a URL with a password
        return shown.toString();
    }
}
