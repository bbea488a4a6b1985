package io.litestream4j.cli.config;

import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One replica of a database, as configured: opened only when needed, by the backend that
 * serves its type, so nothing here knows any backend.
 *
 * @param name its name (default: its type), unique within the database; {@code restore -replica} picks by it
 * @param type the URL scheme of its backend: file, s3, ...
 * @param url its URL, or null when {@code keys} say where it is
 * @param keys the backend's own keys from the section (path, bucket, region...), secrets included
 * @param syncInterval the minimum spacing of uploads, or null for the backend's default
 * @param retention this replica's snapshot retention, or null for the top-level snapshot.retention
 * @param snapshotInterval this replica's snapshot interval, or null for the top-level snapshot.interval
 * @param where "config FILE line N: " of the section, for messages
 * @param age the replica's age keys (its files are encrypted), or null
 */
public record ReplicaConfig(String name, String type, URI url, Map<String, String> keys, Duration syncInterval, Duration retention,
        Duration snapshotInterval, String where, ReplicaClientFactory factory, AgeKeys age) {

    public ReplicaConfig {
        keys = Map.copyOf(keys);
    }

    /** A client for it (encrypting with age if configured); an error names the config file and line of the section. */
    public ReplicaClient open() throws IOException {
        try {
            return AgeReplicaClient.wrap(factory.create(type, url, keys), age);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(where + "replica \"" + name + "\": " + e.getMessage(), e);
        }
    }

    /** The top-level settings with this replica's own snapshot interval and retention. */
    public io.litestream4j.CompactionSettings compaction(io.litestream4j.CompactionSettings base) {
        if (retention == null && snapshotInterval == null) {
            return base;
        }
        return new io.litestream4j.CompactionSettings(base.levelIntervals(),
                snapshotInterval != null ? snapshotInterval : base.snapshotInterval(), retention != null ? retention : base.snapshotRetention(),
                base.l0Retention(), base.retentionEnabled(), base.retentionCheckInterval());
    }

    /** The sync interval to use: the configured one, else the backend's default. */
    public Duration effectiveSyncInterval() {
        return syncInterval != null ? syncInterval : factory.defaultSyncInterval();
    }

    /** The same replica, one level down: {@code relative} appended to its URL's path or its {@code path} key. */
    public ReplicaConfig under(String relative) {
        if (url != null) {
            String base = url.getRawPath() == null ? "" : url.getRawPath();
            try {
                String encoded = new URI(null, null, relative, null).getRawPath();
                String text = url.getScheme() + "://" + (url.getRawAuthority() == null ? "" : url.getRawAuthority())
                        + (base.endsWith("/") ? base : base + "/") + encoded + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
                return new ReplicaConfig(name, type, new URI(text), keys, syncInterval, retention, snapshotInterval, where, factory, age);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException(where + "replica \"" + name + "\": cannot add " + relative + " to its URL: " + e.getMessage(), e);
            }
        }
        java.util.Map<String, String> k = new java.util.HashMap<>(keys);
        String base = k.getOrDefault("path", "");
        k.put("path", base.isEmpty() ? relative : (base.endsWith("/") ? base : base + "/") + relative);
        return new ReplicaConfig(name, type, null, k, syncInterval, retention, snapshotInterval, where, factory, age);
    }

    /** Secrets hidden: safe to print. */
    @Override
    public String toString() {
        return "ReplicaConfig[%s %s%s%s]".formatted(name, type, url != null ? " " + url.getScheme() + "://" + url.getRawAuthority() + url.getRawPath() : "",
                age != null ? " age" : "");
    }
}
