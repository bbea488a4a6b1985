package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompactionScheduleTest {
    @Test
    void runsAtWallClockMultiplesOfTheInterval() {
        Instant t = Instant.parse("2026-11-23T10:07:41.500Z");
        assertThat(CompactionSchedule.next(t, Duration.ofSeconds(30))).isEqualTo(Instant.parse("2026-11-23T10:08:00Z"));
        assertThat(CompactionSchedule.previous(t, Duration.ofSeconds(30))).isEqualTo(Instant.parse("2026-11-23T10:07:30Z"));
        assertThat(CompactionSchedule.next(t, Duration.ofMinutes(5))).isEqualTo(Instant.parse("2026-11-23T10:10:00Z"));
        assertThat(CompactionSchedule.next(t, Duration.ofHours(1))).isEqualTo(Instant.parse("2026-11-23T11:00:00Z"));
        assertThat(CompactionSchedule.next(t, Duration.ofHours(24))).isEqualTo(Instant.parse("2026-11-24T00:00:00Z"));
        // Exactly on a boundary, the next run is the following one.
        Instant on = Instant.parse("2026-11-23T10:08:00Z");
        assertThat(CompactionSchedule.next(on, Duration.ofSeconds(30))).isEqualTo(Instant.parse("2026-11-23T10:08:30Z"));
        assertThat(CompactionSchedule.previous(on, Duration.ofSeconds(30))).isEqualTo(on);
    }

    @Test
    void settingsAreValidated() {
        assertThat(CompactionSettings.defaults().maxLevel()).isEqualTo(3);
        assertThatThrownBy(() -> new CompactionSettings(List.of(), Duration.ofHours(1), Duration.ofHours(1), Duration.ZERO, true))
                .hasMessageContaining("want 1 to 8 compaction levels, got 0");
        assertThatThrownBy(() -> new CompactionSettings(List.of(Duration.ofMinutes(5), Duration.ofSeconds(30)), Duration.ofHours(1),
                Duration.ofHours(1), Duration.ZERO, true)).hasMessageContaining("levels[1].interval: want at least the level below's PT5M");
        assertThatThrownBy(() -> new CompactionSettings(List.of(Duration.ZERO), Duration.ofHours(1), Duration.ofHours(1), Duration.ZERO, true))
                .hasMessageContaining("levels[0].interval: want a positive duration");
    }
}
