package io.litestream4j.core.replica;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds the replica client for a URL by its scheme. The CLI never switches on backend type. */
public final class ReplicaClients {
    private ReplicaClients() {}

    /**
     * Every registered scheme and its factory. Two factories claiming one scheme is an error
     * naming both: which one served the scheme would otherwise depend on class-path order.
     */
    public static Map<String, ReplicaClientFactory> factories() {
        return byScheme(ServiceLoader.load(ReplicaClientFactory.class));
    }

    /**
     * The factory of {@code scheme} (lower case), or null. The {@code file} scheme is core's own
     * and served without the {@link ServiceLoader}, whose search opens every jar on the class path
     * (164 in the release: most of a small file-replica restore's start-up). Another module
     * claiming {@code file} is still an error wherever the registry is listed (every other scheme,
     * the config file).
     */
    private static ReplicaClientFactory factoryOf(String scheme) {
        return scheme.equals("file") ? new FileReplicaClientFactory() : factories().get(scheme);
    }

    static Map<String, ReplicaClientFactory> byScheme(Iterable<ReplicaClientFactory> factories) {
        Map<String, ReplicaClientFactory> out = new TreeMap<>();
        for (ReplicaClientFactory f : factories) {
            for (String scheme : f.schemes()) {
                ReplicaClientFactory other = out.putIfAbsent(scheme, f);
                if (other != null && other.getClass() != f.getClass()) {
                    throw new IllegalStateException("replica scheme \"%s\" is claimed by both %s and %s: remove one of their modules from the class path"
                            .formatted(scheme, other.getClass().getName(), f.getClass().getName()));
                }
            }
        }
        return out;
    }

    /** True if {@code s} has a URL scheme ({@code name://...}); a plain path has none. */
    public static boolean isUrl(String s) {
        return s.matches("[A-Za-z][A-Za-z0-9+.-]*://.*");
    }

    /**
     * Rejects a string that starts with a known scheme and a colon but is not a URL
     * ({@code s3:/bucket}, {@code file:relative}): a typo, which would otherwise be taken as a
     * relative folder and replicate into {@code ./s3:/bucket}.
     */
    public static void checkNotMalformedUrl(String s) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):(?!//).*").matcher(s);
        if (m.matches()) {
            String scheme = m.group(1).toLowerCase(java.util.Locale.ROOT);
            if (factoryOf(scheme) != null) {
                throw new IOException("invalid replica URL \"%s\": want %s".formatted(redact(s),
                        scheme.equals("file") ? "file:///absolute/path or a plain path" : scheme + "://BUCKET_OR_HOST/PATH"));
            }
        }
    }

    /** Parses a replica URL or a plain path (a file replica). */
    public static URI parse(String urlOrPath) throws IOException {
        checkNotMalformedUrl(urlOrPath);
        if (!isUrl(urlOrPath)) {
            return Path.of(urlOrPath).toAbsolutePath().normalize().toUri();
        }
        try {
            return new URI(urlOrPath);
        } catch (URISyntaxException e) {
            throw new IOException("invalid replica URL %s: %s".formatted(redact(urlOrPath), e.getReason()), e);
        }
    }

    /** A client for a replica URL or plain path. */
    public static ReplicaClient open(String urlOrPath) throws IOException {
        return factory(urlOrPath).create(parse(urlOrPath));
    }

    /** The factory that serves a replica URL or plain path; an unknown scheme is an error listing the known ones. */
    public static ReplicaClientFactory factory(String urlOrPath) throws IOException {
        String scheme = parse(urlOrPath).getScheme().toLowerCase(java.util.Locale.ROOT);
        ReplicaClientFactory factory = factoryOf(scheme);
        if (factory == null) {
            throw new IOException("replica URL %s: unknown scheme \"%s\" (supported: %s)"
                    .formatted(redact(urlOrPath), scheme, String.join(", ", factories().keySet())));
        }
        return factory;
    }

    /**
     * The URL with its password, and the value of every query option that looks secret (its name
     * has secret, password, passphrase, token, sig or seed in it, or is a key such as account-key but not host-key),
     * replaced: safe for logs and errors.
     */
    public static String redact(String url) {
        return redact(url, java.util.Set.of());
    }

    /** {@link #redact(String)}, also masking the query options named in {@code secretKeys} (any spelling). */
    public static String redact(String url, java.util.Set<String> secretKeys) {
        String noPassword = url.replaceAll("(://[^/:@]*):[^/@]*@", "$1:*****@");
        int q = noPassword.indexOf('?');
        if (q < 0) {
            return noPassword;
        }
        StringBuilder out = new StringBuilder(noPassword.substring(0, q + 1));
        String[] pairs = noPassword.substring(q + 1).split("&", -1);
        for (int i = 0; i < pairs.length; i++) {
            int eq = pairs[i].indexOf('=');
            String name = ReplicaSpec.normalize(eq < 0 ? pairs[i] : pairs[i].substring(0, eq));
            boolean secret = name.matches(".*(secret|password|passphrase|token|sig|seed).*") || name.matches("(.*-)?key") && !name.equals("host-key")
                    || secretKeys.stream().map(ReplicaSpec::normalize).anyMatch(name::equals);
            out.append(i == 0 ? "" : "&").append(eq >= 0 && secret ? pairs[i].substring(0, eq + 1) + "*****" : pairs[i]);
        }
        return out.toString();
    }
}
