package io.litestream4j.cli.config;

import io.litestream4j.CompactionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The top-level {@code levels}, {@code snapshot}, {@code retention} and {@code l0-retention*} keys: how every replica is compacted and pruned. */
final class CompactionSection {
    private CompactionSection() {}

    static CompactionSettings read(YamlSection root, List<String> warnings) {
        CompactionSettings d = CompactionSettings.defaults();
        List<Duration> levels = new ArrayList<>();
        for (YamlSection level : root.sections("levels")) {
            levels.add(level.duration("interval").orElseThrow(() -> new ConfigException(level.here() + "\"%s.interval\": missing".formatted(level.path()))));
            level.finish(Map.of(), warnings);
        }
        Duration snapshotInterval = d.snapshotInterval();
        Duration snapshotRetention = d.snapshotRetention();
        var snapshot = root.section("snapshot");
        if (snapshot.isPresent()) {
            snapshotInterval = snapshot.get().duration("interval").orElse(snapshotInterval);
            snapshotRetention = snapshot.get().duration("retention").orElse(snapshotRetention);
            snapshot.get().finish(Map.of(), warnings);
        }
        boolean retentionEnabled = true;
        var retention = root.section("retention");
        if (retention.isPresent()) {
            retentionEnabled = retention.get().bool("enabled").orElse(true);
            retention.get().finish(Map.of(), warnings);
        }
        Duration l0Retention = root.duration("l0-retention").orElse(d.l0Retention());
        Duration retentionCheck = root.duration("l0-retention-check-interval").orElse(d.retentionCheckInterval());
        try {
            return new CompactionSettings(levels.isEmpty() ? d.levelIntervals() : levels, snapshotInterval, snapshotRetention, l0Retention,
                    retentionEnabled, retentionCheck);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(root.here() + e.getMessage());
        }
    }
}
