package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.litestream4j.core.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A lease held by a process of this machine that has ended is taken at once; any doubt waits for expiry. */
@Timeout(60)
class LocalProcessTest {
    @TempDir
    Path dir;

    /** The name a child process had while it ran; it has ended when this returns. */
    private static String endedProcess() throws Exception {
        Process p = new ProcessBuilder("sleep", "0.2").start();
        Instant start = p.info().startInstant().orElseThrow();
        String[] self = LocalProcess.current().split(" ");
        String name = self[0] + " " + self[1] + " " + p.pid() + " " + start.toEpochMilli();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return name;
    }

    @Test
    void tellsAnEndedProcessFromALiveOneOnlyOnThisMachine() throws Exception {
        String self = LocalProcess.current();
        assumeThat(self).as("Linux: boot id and pid namespace").isNotEmpty();
        assertThat(LocalProcess.isGone(self)).isFalse();
        String ended = endedProcess();
        assertThat(LocalProcess.isGone(ended)).isTrue();
        String[] parts = self.split(" ");
        assertThat(LocalProcess.isGone("00000000-other-boot " + parts[1] + " " + parts[2] + " 1")).as("another machine").isFalse();
        assertThat(LocalProcess.isGone(parts[0] + " 1 999999999 1")).as("another pid namespace").isFalse();
        assertThat(LocalProcess.isGone(parts[0] + " " + parts[1] + " " + parts[2] + " 1")).as("our pid, another start: reused").isTrue();
        assertThat(LocalProcess.isGone("")).isFalse();
        assertThat(LocalProcess.isGone("garbage")).isFalse();
    }

    @Test
    void aLeaseOfAnEndedLocalProcessIsTakenAtOnceOthersWaitForExpiry() throws Exception {
        assumeThat(LocalProcess.current()).isNotEmpty();
        FakeClock clock = new FakeClock(Instant.parse("2026-11-29T10:00:00Z"));
        LeaseStore replica = new FileReplicaClient(dir.resolve("replica")).capability(LeaseStore.class).orElseThrow();
        ReplicaLease.acquire(replica, "crashed:1", endedProcess(), Duration.ofSeconds(30), clock);
        ReplicaLease mine = ReplicaLease.acquire(replica, "me:2", LocalProcess.current(), Duration.ofSeconds(30), clock);
        assertThat(mine.lease().generation()).isEqualTo(2);
        // Our own, live process: refused.
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> ReplicaLease.acquire(replica, "me-again:2", LocalProcess.current(), Duration.ofSeconds(30), clock))
                .isInstanceOf(LeaseHeldException.class).hasMessageContaining("me:2");
    }
}
