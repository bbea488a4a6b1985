package io.litestream4j.core.replica;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** {@code file:///path}: a replica in a local folder. */
public final class FileReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("file");
    }

    /** A local write costs nothing: upload each sync at once. */
    @Override
    public java.time.Duration defaultSyncInterval() {
        return java.time.Duration.ZERO;
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        if (url.getPath() == null || url.getPath().isEmpty()) {
            throw new IOException("replica URL %s: want file:///absolute/path".formatted(url));
        }
        if (url.getAuthority() != null && !url.getAuthority().isEmpty() && !"localhost".equals(url.getAuthority())) {
            throw new IOException("replica URL %s: a file URL has no host; want file:///absolute/path".formatted(url));
        }
        return new FileReplicaClient(Path.of(url.getPath()));
    }

    @Override
    public ReplicaClient create(String type, URI url, Map<String, String> config) throws IOException {
        if (url == null) {
            String path = config.get("path");
            if (path == null || path.isBlank()) {
                throw new IOException("file replica: want path (the replica folder) or url");
            }
            ReplicaClients.checkNotMalformedUrl(path); // "s3:/bucket" as a path is a mistyped URL, not a folder
            return create(Path.of(path).toAbsolutePath().normalize().toUri());
        }
        return ReplicaClientFactory.super.create(type, url, config);
    }
}
