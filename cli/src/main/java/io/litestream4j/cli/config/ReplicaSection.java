package io.litestream4j.cli.config;

import io.litestream4j.core.GoDuration;
import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A {@code replica} block, and the replica keys the top level sets as defaults for every
 * replica (credentials, region...). Which keys a backend takes comes from its factory alone.
 */
final class ReplicaSection {
    private static final Map<String, String> LEGACY_KEYS = Map.of(
            "retention-check-interval", "use the top-level l0-retention-check-interval",
            "validation-interval", "validation is not part of Litestream 0.5");

    private final Map<String, ReplicaClientFactory> factories;
    private final List<String> warnings;
    private final Map<String, String> defaults = new LinkedHashMap<>();

    /** Reads the top level's replica defaults from {@code root}. */
    ReplicaSection(YamlSection root, Map<String, ReplicaClientFactory> factories, List<String> warnings) {
        this.factories = factories;
        this.warnings = warnings;
        root.duration("sync-interval"); // checked here, where its line is known
        for (String key : globalKeys()) {
            root.stringOrList(key).ifPresent(v -> defaults.put(key, v));
        }
    }

    /** Keys every backend takes from the top level as defaults: all backends' keys but where a replica is. */
    private Set<String> globalKeys() {
        Set<String> keys = new TreeSet<>();
        keys.add("sync-interval");
        for (ReplicaClientFactory f : factories.values()) {
            keys.addAll(f.configKeys());
        }
        keys.removeAll(Set.of("path", "bucket"));
        return keys;
    }

    ReplicaConfig read(YamlSection r) {
        URI url = null;
        String type = r.string("type").map(String::strip).orElse(null);
        var urlText = r.string("url");
        if (urlText.isPresent()) {
            try {
                url = ReplicaClients.parse(urlText.get().strip());
            } catch (IOException e) {
                throw new ConfigException(r.at("url") + e.getMessage());
            }
            String scheme = url.getScheme().toLowerCase(Locale.ROOT);
            if (type != null && !type.equals(scheme)) {
                throw new ConfigException(r.at("type") + "\"%s\": type %s does not match the url's scheme %s".formatted(r.qualified("type"), type, scheme));
            }
            type = scheme;
        }
        if (type == null) {
            type = "file";
        }
        ReplicaClientFactory factory = factories.get(type);
        if (factory == null) {
            throw new ConfigException((urlText.isPresent() ? r.at("url") : r.at("type"))
                    + "\"%s\": unknown replica type %s (supported: %s)".formatted(r.qualified(urlText.isPresent() ? "url" : "type"), type,
                            String.join(", ", factories.keySet())));
        }
        Duration syncInterval = r.duration("sync-interval").orElse(defaults.containsKey("sync-interval")
                ? GoDuration.parse(defaults.get("sync-interval")) : null);
        String name = r.string("name").map(String::strip).orElse(type);
        // Litestream 0.3's per-replica keys, honoured: each replica may keep its own history.
        Duration retention = r.duration("retention").orElse(null);
        Duration snapshotInterval = r.duration("snapshot-interval").orElse(null);
        if (snapshotInterval != null && snapshotInterval.isZero()) {
            throw r.invalid("snapshot-interval", "0", "a positive duration");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String key : new TreeSet<>(factory.configKeys())) {
            r.stringOrList(key).ifPresent(v -> keys.put(key, v));
        }
        for (Map.Entry<String, String> e : defaults.entrySet()) {
            if (factory.configKeys().contains(e.getKey())) {
                keys.putIfAbsent(e.getKey(), e.getValue()); // the section's own value wins
            }
        }
        AgeKeys age = r.section("age").map(a -> AgeSection.read(a, warnings)).orElse(null);
        r.finish(LEGACY_KEYS, warnings);
        return new ReplicaConfig(name, type, url, keys, syncInterval, retention, snapshotInterval, r.here(), factory, age);
    }
}
