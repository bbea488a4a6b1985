package io.litestream4j.replica.webdav;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a WebDAV replica is and how to reach it.
 *
 * @param server the server's {@code http} or {@code https} URL without a path, e.g. {@code https://dav.example.com:8443}
 * @param folders the replica's folder below the server, one segment each (not encoded): the
 *     path of {@code webdav-url} followed by the replica's {@code path}
 * @param username the Basic auth user, or null for none
 * @param password the Basic auth password, or null; a secret, never in {@link #toString()}
 * @param timeout the longest wait for an answer to a small request (a listing, a folder, a move)
 */
public record WebDavSettings(URI server, List<String> folders, String username, String password, Duration timeout) {
    /** Litestream's WebDAV client timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public WebDavSettings {
        String scheme = server.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("webdav server %s: want an http or https URL".formatted(server));
        }
        if (server.getHost() == null || server.getHost().isEmpty()) {
            throw new IllegalArgumentException("webdav server %s: want a host".formatted(server));
        }
        if (server.getRawUserInfo() != null || (server.getRawPath() != null && !server.getRawPath().isEmpty())) {
            throw new IllegalArgumentException("webdav server %s://%s: want no user and no path (they are separate settings)"
                    .formatted(scheme, server.getHost()));
        }
        folders = List.copyOf(folders);
    }

    /** {@code a/b//c/} as the segments {@code a, b, c}. */
    static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        if (path != null) {
            Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).forEach(out::add);
        }
        return out;
    }

    /** The replica as a {@code webdav://} or {@code webdavs://} URL without credentials, for messages. */
    public String describe() {
        String scheme = "https".equals(server.getScheme()) ? "webdavs" : "webdav";
        return scheme + "://" + server.getRawAuthority() + "/" + String.join("/", folders);
    }

    /** The URL of {@code segments} below the replica's folder; {@code folder} adds the trailing slash collections want. */
    URI resolve(List<String> segments, boolean folder) {
        StringBuilder p = new StringBuilder();
        for (String s : folders) {
            p.append('/').append(encode(s));
        }
        for (String s : segments) {
            p.append('/').append(encode(s));
        }
        if (folder || p.isEmpty()) {
            p.append('/');
        }
        return URI.create(server.getScheme() + "://" + server.getRawAuthority() + p);
    }

    /** Every folder from the replica's first folder down to {@code segments} below it, top first. */
    List<URI> foldersDownTo(List<String> segments) {
        List<String> all = new ArrayList<>(folders);
        all.addAll(segments);
        List<URI> out = new ArrayList<>();
        for (int n = 1; n <= all.size(); n++) {
            out.add(new WebDavSettings(server, all.subList(0, n), null, null, timeout).resolve(List.of(), true));
        }
        return out;
    }

    /** Percent-encodes a path segment: everything but RFC 3986's unreserved characters. */
    static String encode(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "WebDavSettings[%s, username=%s, password=%s, timeout=%s]".formatted(describe(), username, password == null ? null : "*****", timeout);
    }
}
