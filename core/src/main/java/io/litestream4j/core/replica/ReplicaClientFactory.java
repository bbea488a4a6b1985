package io.litestream4j.core.replica;

import java.io.IOException;
import java.net.URI;

/**
 * Makes replica clients for one URL scheme. Registered as a {@link java.util.ServiceLoader}
 * service ({@code META-INF/services/io.litestream4j.core.replica.ReplicaClientFactory}), so a
 * backend module only needs to be on the class path.
 */
public interface ReplicaClientFactory {
    /** The URL schemes this factory serves, lower-case, e.g. {@code file}. */
    java.util.Set<String> schemes();

    /** A client for {@code url}; a malformed or unsupported URL is an error naming the part. */
    ReplicaClient create(URI url) throws IOException;
}
