package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code s3://bucket/path?options}: a replica in S3 or an S3-compatible store;
 * {@code oss://bucket/path}: Alibaba Cloud OSS through its S3-compatible API.
 */
public final class S3ReplicaClientFactory implements ReplicaClientFactory {
    /** Config keys that are URL query options, in Litestream's config spelling. */
    private static final Set<String> OPTION_KEYS = Set.of("region", "endpoint", "force-path-style", "skip-verify", "storage-class", "part-size",
            "concurrency", "sse-customer-algorithm", "sse-customer-key", "sse-kms-key-id");

    @Override
    public Set<String> schemes() {
        return Set.of("s3", "oss");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(url, null, null);
    }

    @Override
    public Set<String> configKeys() {
        Set<String> keys = new java.util.HashSet<>(OPTION_KEYS);
        keys.addAll(Set.of("bucket", "path", "access-key-id", "secret-access-key"));
        return keys;
    }

    @Override
    public Set<String> secretKeys() {
        return Set.of("secret-access-key", "sse-customer-key");
    }

    /**
     * From a config section: {@code url}, or {@code bucket} and {@code path}; the other keys as
     * the URL's query options; {@code access-key-id} and {@code secret-access-key} together.
     */
    @Override
    public ReplicaClient create(String type, URI url, Map<String, String> config) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>(config);
        String scheme = url != null ? url.getScheme().toLowerCase(java.util.Locale.ROOT) : type;
        String bucket = keys.remove("bucket");
        String path = keys.remove("path");
        if (url != null && (bucket != null || path != null)) {
            throw new IOException("%s replica %s: set url, or bucket and path, not both".formatted(scheme, S3Settings.redacted(url)));
        }
        if (url == null && (bucket == null || bucket.isBlank())) {
            throw new IOException(scheme + " replica: want url, or bucket (and path)");
        }
        String accessKeyId = keys.remove("access-key-id");
        String secret = keys.remove("secret-access-key");
        if ((accessKeyId == null) != (secret == null)) {
            throw new IOException("%s replica: access-key-id and secret-access-key go together".formatted(scheme));
        }
        StringBuilder u = new StringBuilder(url != null ? url.toString() : scheme + "://" + bucket + "/" + (path == null ? "" : path));
        char sep = u.indexOf("?") < 0 ? '?' : '&';
        for (Map.Entry<String, String> e : keys.entrySet()) {
            u.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        URI full;
        try {
            full = new URI(u.toString());
        } catch (java.net.URISyntaxException e) {
            throw new IOException("%s replica: bucket %s and path %s do not make a valid URL: %s".formatted(scheme, bucket, path, e.getReason()), e);
        }
        return create(full, accessKeyId, secret);
    }

    private static ReplicaClient create(URI url, String accessKeyId, String secret) throws IOException {
        boolean oss = "oss".equalsIgnoreCase(url.getScheme());
        S3Settings settings = oss ? S3Settings.parseOss(url) : S3Settings.parse(url);
        if (accessKeyId != null) {
            settings = settings.withCredentials(accessKeyId, secret);
        }
        return oss ? new S3ReplicaClient(settings, "oss") : new S3ReplicaClient(settings);
    }
}
