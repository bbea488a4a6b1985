package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.FakeClock;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases on demand ({@link LeasedReplicaClient}), stepped second by second on a fake clock with a
 * timer the test runs by hand: a replica not written for a renewal period stops renewing and its
 * lease lapses with nothing scheduled; a write renews first when less than two thirds of the TTL is
 * left (a lapsed lease included) and renewals resume while writes go on; a rival that took the
 * lapsed lease makes our next write fail, health red, for good; a close releases only our own lease.
 */
@Timeout(60)
class LeaseOnDemandTest {
    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock(T0);
    private final ManualTimer timer = new ManualTimer(clock);
    private FileReplicaClient client() {
        return new FileReplicaClient(dir.resolve("replica"));
    }

    /** The replica's lease store, one for every client of the test, counting the requests that reach it. */
    private CountingLeaseStore counted;

    private LeaseStore store() {
        if (counted == null) {
            counted = new CountingLeaseStore(client().capability(LeaseStore.class).orElseThrow());
        }
        return counted;
    }

    /** Lease requests (takes, renewals, releases) that reached the store so far. */
    private int requests() {
        return counted.requests();
    }

    /** Takes the lease as {@code owner} now and keeps it on demand, as {@link LeasedReplicaClient#acquire} does. */
    private LeasedReplicaClient leased(String owner, ReplicaClient replica) throws IOException {
        LeasedReplicaClient c = new LeasedReplicaClient(replica, ReplicaLease.acquire(store(), owner, TTL, clock), clock, timer);
        c.startRenewing();
        return c;
    }

    private LeasedReplicaClient leased(String owner) throws IOException {
        return leased(owner, client());
    }

    /** Moves the clock a second at a time up to {@code T0 + second}, running the timer's due tasks at each. */
    private void until(int second) {
        while (clock.instant().isBefore(T0.plusSeconds(second))) {
            clock.advance(Duration.ofSeconds(1));
            timer.runDue();
        }
    }

    private static void write(ReplicaClient c, long txid) throws IOException {
        byte[] data = ("file " + txid).getBytes(StandardCharsets.UTF_8);
        c.write(0, new TxidRange(txid, txid), new ByteArrayInputStream(data), data.length, T0);
    }

    private Lease stored() throws IOException {
        return Lease.parse(Files.readAllBytes(dir.resolve("replica/lock.json")), "lock.json");
    }

    private boolean written(long txid) {
        return Files.exists(dir.resolve("replica/ltx/0/%016x-%016x.ltx".formatted(txid, txid)));
    }

    @Test
    void anIdleReplicasLeaseLapsesWithNothingScheduledForIt() throws Exception {
        ReplicaHealth health = new ReplicaHealth();
        LeasedReplicaClient c = leased("me:1");
        c.reportTo(health);
        assertThat(timer.pending()).extracting(ManualTimer.Entry::due).containsExactly(T0.plusSeconds(10));
        until(10);
        // No write or delete for a whole renewal period: no renewal, and nothing asked of the timer.
        assertThat(timer.pending()).isEmpty();
        assertThat(c.renewing()).isFalse();
        assertThat(stored().expiresAt()).as("not renewed").isEqualTo(T0.plus(TTL));
        until(600);
        assertThat(requests()).as("ten idle minutes: the take, then not one request").isEqualTo(1);
        assertThat(timer.pending()).isEmpty();
        assertThat(c.lease().heldAt(clock.instant())).as("lapsed").isFalse();
        assertThat(c.lease().lostBecause()).as("lapsed, not lost").isNull();
        assertThat(health.summary()).as("an idle lease lapsing is no alarm").isNull();
        c.close();
        assertThat(dir.resolve("replica/lock.json")).as("ours still, though lapsed: released").doesNotExist();
    }

    @Test
    void aWriteAfterTheLapseRenewsFirstAndRenewalsGoOnWhileWritesDo() throws Exception {
        LeasedReplicaClient c = leased("me:1");
        until(60); // lapsed at 30
        write(c, 1);
        assertThat(written(1)).isTrue();
        assertThat(stored()).as("renewed by the write, not taken over").isEqualTo(new Lease(1, T0.plusSeconds(60).plus(TTL), "me:1"));
        assertThat(timer.pending()).as("renewals resume").extracting(ManualTimer.Entry::due).containsExactly(T0.plusSeconds(70));
        for (int second = 61; second <= 90; second++) {
            until(second);
            write(c, second - 59);
            // Renewed at 70, 80 and 90 s by the timer: never more than a third of the TTL spent.
            assertThat(stored().expiresAt()).as("at second %d", second).isEqualTo(T0.plusSeconds(60 + (second - 60) / 10 * 10).plus(TTL));
        }
        assertThat(requests()).as("the take, the write's renewal, three on the timer").isEqualTo(5);
        until(100); // the last write was at 90 s
        assertThat(timer.pending()).as("idle again: nothing scheduled").isEmpty();
        assertThat(stored().expiresAt()).isEqualTo(T0.plusSeconds(120));
        until(200);
        assertThat(requests()).isEqualTo(5);
        c.close();
    }

    @Test
    void aRivalTakesTheLapsedLeaseAndOurNextWriteIsRefusedWithHealthRed() throws Exception {
        ReplicaHealth health = new ReplicaHealth();
        LeasedReplicaClient a = leased("a:1");
        a.reportTo(health);
        write(a, 1);
        until(31); // idle since 0 s: lapsed at 30
        // What leases on demand allow: a second replicator takes the idle replica's lapsed lease.
        ReplicaLease b = ReplicaLease.acquire(store(), "b:2", TTL, clock);
        assertThat(b.lease().generation()).isEqualTo(2);
        int before = requests();
        assertThatThrownBy(() -> write(a, 2)).hasMessageContaining("lost").hasMessageContaining("now held by b:2");
        assertThat(written(2)).as("nothing written").isFalse();
        assertThat(health.problem(LeasedReplicaClient.HEALTH_KEY)).contains("lost").contains("now held by b:2").contains("writes to this replica stopped");
        assertThat(a.renewing()).isFalse();
        assertThat(timer.pending()).isEmpty();
        // Lost for good: later writes and deletes fail without a request, even after the rival's lease expires.
        until(120);
        assertThatThrownBy(() -> write(a, 2)).hasMessageContaining("lost");
        assertThatThrownBy(() -> a.delete(0, new TxidRange(1, 1))).hasMessageContaining("lost");
        assertThat(written(1)).as("nothing deleted").isTrue();
        assertThat(requests()).as("only the renewal that found b's lease").isEqualTo(before + 1);
        a.close();
        assertThat(stored().owner()).isEqualTo("b:2");
    }

    @Test
    void aWriteWithLessThanTwoThirdsOfTheTtlLeftRenewsBeforeItIsSent() throws Exception {
        List<Instant> leaseAtWrite = new ArrayList<>();
        ReplicaClient recording = new ForwardingClient(client()) {
            @Override
            public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
                leaseAtWrite.add(stored().expiresAt());
                return super.write(level, range, data, size, createdAt);
            }
        };
        LeasedReplicaClient c = leased("me:1", recording);
        until(9);
        write(c, 1); // 21 s left: no renewal
        assertThat(requests()).isEqualTo(1);
        until(20); // renewed at 10 s (written at 9 s), idle at 20 s: expires at 40 s
        assertThat(timer.pending()).isEmpty();
        until(39);
        assertThat(c.lease().heldAt(clock.instant())).as("1 s left").isTrue();
        write(c, 2);
        assertThat(leaseAtWrite).as("the lease each write saw in the store as it was sent")
                .containsExactly(T0.plus(TTL), T0.plusSeconds(39).plus(TTL));
        assertThat(requests()).isEqualTo(3);
        c.close();
    }

    /** An upload that takes longer than the lease's margin keeps renewals on while it is in flight. */
    @Test
    void aLongWriteInFlightKeepsTheLeaseRenewed() throws Exception {
        ReplicaClient slow = new ForwardingClient(client()) {
            @Override
            public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
                until(45); // the upload takes 45 s
                return super.write(level, range, data, size, createdAt);
            }
        };
        LeasedReplicaClient c = leased("me:1", slow);
        write(c, 1);
        assertThat(stored().expiresAt()).as("renewed at 10, 20, 30 and 40 s while the write ran").isEqualTo(T0.plusSeconds(40).plus(TTL));
        until(60);
        assertThat(timer.pending()).as("renewed at 50 s (written at 45 s), idle at 60 s").isEmpty();
        assertThat(stored().expiresAt()).isEqualTo(T0.plusSeconds(50).plus(TTL));
        c.close();
    }

    @Test
    void aCloseAfterTheLapseReleasesNothingOfARivals() throws Exception {
        LeasedReplicaClient a = leased("a:1");
        until(40);
        ReplicaLease b = ReplicaLease.acquire(store(), "b:2", TTL, clock);
        a.close();
        assertThat(stored()).as("b's lease, untouched").isEqualTo(b.lease());
        b.renew(); // still b's own version: the close changed nothing
        assertThat(b.heldAt(clock.instant())).isTrue();
        assertThat(timer.pending()).isEmpty();
    }
}
