package io.litestream4j.core.replica;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Makes replica clients for one URL scheme. Registered as a {@link java.util.ServiceLoader}
 * service ({@code META-INF/services/io.litestream4j.core.replica.ReplicaClientFactory}), so a
 * backend module only needs to be on the class path.
 */
public interface ReplicaClientFactory {
    /** The URL schemes this factory serves, lower-case, e.g. {@code file}. */
    Set<String> schemes();

    /** A client for {@code url}; a malformed or unsupported URL is an error naming the part. */
    ReplicaClient create(URI url) throws IOException;

    /**
     * The keys a config file's replica section may set for this backend (besides {@code type},
     * {@code url}, {@code name} and {@code sync-interval}), in Litestream's spelling.
     */
    default Set<String> configKeys() {
        return Set.of("path");
    }

    /**
     * The least time between two uploads unless configured: object stores bill per request, so
     * 1 s (Litestream's default) batches what arrives meanwhile into one file. Policy, so it is
     * the factory's and not the client's.
     */
    default java.time.Duration defaultSyncInterval() {
        return java.time.Duration.ofSeconds(1);
    }

    /** Keys whose values are secrets: never printed, not even in an error about their value. */
    default Set<String> secretKeys() {
        return Set.of();
    }

    /**
     * A client from a config file's replica section: its {@code type} (one of {@link #schemes}),
     * {@code url} (null when the section gives {@code path} and the backend's keys instead) and
     * the section's {@link #configKeys} as strings. A value that cannot be honoured is an error
     * naming the key.
     */
    default ReplicaClient create(String type, URI url, Map<String, String> config) throws IOException {
        return create(ReplicaSpec.of(type, url, config, this));
    }

    /**
     * A client from a URL, a config section, or both, read through {@link ReplicaSpec}: the one
     * method a new backend implements (its {@link #create(URI)} then is {@code
     * create(ReplicaSpec.of(url, this))}). The default accepts a URL only.
     */
    default ReplicaClient create(ReplicaSpec spec) throws IOException {
        if (spec.url() == null) {
            throw spec.error("want url");
        }
        if (!spec.keys().isEmpty()) {
            throw spec.error("set url or %s, not both".formatted(String.join(", ", spec.keys().keySet())));
        }
        return create(spec.url());
    }
}
