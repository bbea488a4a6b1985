package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
    @Test
    void parsesGoDurations() {
        assertThat(GoDuration.parse("1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(GoDuration.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(GoDuration.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(GoDuration.parse("24h")).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void rejectsWhatGoRejects() {
        for (String bad : new String[] {"", "1", "s", "1d", "1 s", "soon", "1s2", "-"}) {
            assertThat(GoDuration.parse(bad)).as(bad).isNull();
        }
    }

    @Test
    void formatsLikeGo() {
        assertThat(GoDuration.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(GoDuration.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(GoDuration.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
        assertThat(GoDuration.format(Duration.ZERO)).isEqualTo("0s");
    }
}
