package io.litestream4j.core;

import static io.litestream4j.core.CheckpointPolicy.Mode.NONE;
import static io.litestream4j.core.CheckpointPolicy.Mode.PASSIVE;
import static io.litestream4j.core.CheckpointPolicy.Mode.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Litestream's checkpoint rules as a function of the WAL's size, what was copied and the time: no database, no clock. */
class CheckpointPolicyTest {
    private final CheckpointPolicy policy = new CheckpointPolicy(Duration.ofMinutes(1), 1000, 121359);

    @Test
    void aPassiveOnceEnoughFramesWereCopiedSinceTheLast() {
        assertThat(policy.decide(5000, 999, true, 0)).isEqualTo(NONE);
        assertThat(policy.decide(5000, 1000, true, 0)).isEqualTo(PASSIVE);
    }

    @Test
    void aPassiveOnceTheIntervalHasPassedWithAnyFrameCopied() {
        long minute = Duration.ofMinutes(1).toMillis();
        assertThat(policy.decide(10, 1, true, minute - 1)).isEqualTo(NONE);
        assertThat(policy.decide(10, 1, true, minute)).isEqualTo(PASSIVE);
        assertThat(policy.decide(10, 0, true, minute)).as("nothing new in the WAL").isEqualTo(NONE);
        assertThat(policy.decide(10, 1, false, minute)).as("no file written since the last checkpoint").isEqualTo(NONE);
    }

    @Test
    void aTruncateFarPastItsThresholdWhateverElse() {
        assertThat(policy.decide(121358, 0, false, 0)).isEqualTo(NONE);
        assertThat(policy.decide(121359, 0, false, 0)).isEqualTo(TRUNCATE);
        assertThat(new CheckpointPolicy(Duration.ofMinutes(1), 1000, 0).decide(10_000_000, 0, false, 0)).as("truncate-page-n 0: never")
                .isEqualTo(NONE);
    }

    @Test
    void theTimeUntilTheTimedCheckpoint() {
        assertThat(policy.millisUntilTimed(5, true, 20_000)).isEqualTo(40_000);
        assertThat(policy.millisUntilTimed(5, true, 90_000)).as("overdue").isZero();
        assertThat(policy.millisUntilTimed(0, true, 20_000)).as("nothing to checkpoint").isEqualTo(Long.MAX_VALUE);
        assertThat(policy.millisUntilTimed(5, false, 20_000)).as("nothing written since").isEqualTo(Long.MAX_VALUE);
    }
}
