package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * How to reach a NATS JetStream object store bucket, read from {@code nats://[user:password@]host[:port]/bucket}
 * or a config section (Litestream 0.5's keys). Secrets (password, token, seed, nkey, jwt) never
 * appear in {@link #toString()} or {@link #describe()}.
 *
 * @param server the server URL without credentials or path, {@code nats://host:port}
 * @param bucket the object store bucket, which must already exist
 * @param username with {@code password}: user/password authentication
 * @param password the user's password
 * @param token token authentication
 * @param jwt with {@code seed}: a user JWT signed with the user's NKey seed
 * @param seed the user's NKey seed ({@code SU...}), with {@code jwt}
 * @param creds a credentials file ({@code .creds}) holding a JWT and seed
 * @param nkey NKey authentication: the user's NKey seed ({@code SU...}), which signs the server's challenge
 * @param tls require TLS (also implied by {@code root-cas} or a client certificate)
 * @param rootCas PEM files of the certificate authorities to trust instead of the JDK's
 * @param clientCert a PEM client certificate for mutual TLS, with {@code clientKey}
 * @param clientKey the client certificate's PEM (PKCS#8) private key
 * @param maxReconnects reconnect attempts after a lost connection; -1 for no limit
 * @param reconnectWait the pause between reconnect attempts
 * @param timeout how long to wait for a connection and for each request's answer
 */
public record NatsSettings(String server, String bucket, String username, String password, String token, String jwt, String seed, String creds,
        String nkey, boolean tls, List<String> rootCas, String clientCert, String clientKey, int maxReconnects, Duration reconnectWait,
        Duration timeout) {
    /** Litestream 0.5's keys for a NATS replica section, besides {@code url}. */
    static final Set<String> CONFIG_KEYS = Set.of("bucket", "username", "password", "jwt", "seed", "creds", "nkey", "token", "tls", "root-cas",
            "client-cert", "client-key", "max-reconnects", "reconnect-wait", "timeout");
    static final Set<String> SECRET_KEYS = Set.of("password", "jwt", "seed", "nkey", "token");
    static final String DEFAULT_SERVER = "nats://127.0.0.1:4222";
    private static final String HIDDEN = "*****";

    public NatsSettings {
        rootCas = List.copyOf(rootCas);
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("want a bucket");
        }
    }

    /**
     * Reads a URL and/or config section. As in Litestream, the URL gives the server and the
     * bucket (its path) and may carry the user and password; without a URL the server is
     * {@value #DEFAULT_SERVER} and the bucket the {@code bucket} key. Litestream's defaults:
     * unlimited reconnects 2 s apart, a 10 s timeout.
     */
    static NatsSettings from(ReplicaSpec spec) throws IOException {
        String server = DEFAULT_SERVER;
        String bucket = spec.get("bucket");
        if (spec.url() != null) {
            if (spec.url().getHost() == null) {
                throw spec.error("want nats://[user:password@]host[:port]/bucket");
            }
            server = "nats://" + spec.url().getHost() + (spec.url().getPort() >= 0 ? ":" + spec.url().getPort() : "");
            String path = spec.path();
            if (!path.isEmpty()) {
                if (path.contains("/")) {
                    throw spec.error("the path \"%s\" is not a bucket name: want nats://host:port/bucket".formatted(path));
                }
                bucket = path;
            }
        }
        if (bucket == null) {
            throw spec.error("want a bucket: nats://host:port/bucket, or the key bucket");
        }
        if (!bucket.matches("[A-Za-z0-9_-]+")) {
            throw spec.error("bucket \"%s\": a JetStream bucket name has only letters, digits, - and _".formatted(bucket));
        }
        String username = spec.get("username", spec.user());
        String clientCert = spec.get("client-cert");
        String clientKey = spec.get("client-key");
        if ((clientCert == null) != (clientKey == null)) {
            throw spec.error("client-cert and client-key go together (mutual TLS needs both)");
        }
        String jwt = spec.get("jwt");
        String seed = spec.get("seed");
        if ((jwt == null) != (seed == null)) {
            throw spec.error("jwt and seed go together (the seed signs the server's challenge for the JWT's user)");
        }
        String nkey = spec.get("nkey");
        if (nkey != null && !nkey.startsWith("SU")) {
            throw spec.error("nkey: want the user's NKey seed (SU...), which signs the server's challenge; a public key alone cannot");
        }
        int maxReconnects = spec.integer("max-reconnects", -1);
        Duration reconnectWait = spec.duration("reconnect-wait", Duration.ofSeconds(2));
        Duration timeout = spec.duration("timeout", Duration.ofSeconds(10));
        if (timeout.isZero()) {
            throw spec.error("timeout=0: want a positive duration");
        }
        return new NatsSettings(server, bucket, username, spec.password(), spec.get("token"), jwt, seed, spec.get("creds"), nkey,
                spec.bool("tls", false), list(spec.get("root-cas")), clientCert, clientKey, maxReconnects, reconnectWait, timeout);
    }

    /** {@code root-cas} is a list in YAML; here a comma-separated string (one file also works). */
    private static List<String> list(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** Whether the connection must use TLS: asked for, or implied by CAs or a client certificate. */
    boolean secure() {
        return tls || !rootCas.isEmpty() || clientCert != null;
    }

    /** Where the replica is, for messages: {@code nats://host:port/bucket}, never a credential. */
    String describe() {
        return server + "/" + bucket;
    }

    /** Which kind of authentication is configured, for messages. */
    String authentication() {
        if (jwt != null) {
            return "jwt and seed";
        }
        if (creds != null) {
            return "credentials file " + creds;
        }
        if (nkey != null) {
            return "nkey";
        }
        if (username != null && password != null) {
            return "user " + username + " and password";
        }
        if (token != null) {
            return "token";
        }
        return "no credentials";
    }

    @Override
    public String toString() {
        return "NatsSettings[server=%s, bucket=%s, username=%s, password=%s, token=%s, jwt=%s, seed=%s, creds=%s, nkey=%s, tls=%s, rootCas=%s, clientCert=%s, clientKey=%s, maxReconnects=%d, reconnectWait=%s, timeout=%s]"
                .formatted(server, bucket, username, hide(password), hide(token), hide(jwt), hide(seed), creds, hide(nkey), tls, rootCas, clientCert,
                        clientKey, maxReconnects, reconnectWait, timeout);
    }

    private static String hide(String secret) {
        return secret == null ? null : HIDDEN;
    }
}
