package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.DrivenClock;
import io.litestream4j.core.FakeClock;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The replica lease with a fake clock: taking, refusing, renewing at a third of the TTL, losing, expiring, releasing. */
@Timeout(60)
class ReplicaLeaseTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final FakeClock clock = new FakeClock(T0);

    private FileReplicaClient client() {
        return new FileReplicaClient(dir.resolve("replica"));
    }

    private LeaseStore replica() {
        return client().capability(LeaseStore.class).orElseThrow();
    }

    private static void write(ReplicaClient c, long txid) throws IOException {
        byte[] data = ("file " + txid).getBytes(StandardCharsets.UTF_8);
        c.write(0, new TxidRange(txid, txid), new ByteArrayInputStream(data), data.length, T0);
    }

    private Lease stored() throws IOException {
        return Lease.parse(Files.readAllBytes(dir.resolve("replica/lock.json")), "lock.json");
    }

    @Test
    void aSecondReplicatorIsRefusedNamingTheHolderUntilTheLeaseExpires() throws Exception {
        ReplicaLease a = ReplicaLease.acquire(replica(), "host-a:1", TTL, clock);
        assertThat(stored()).isEqualTo(new Lease(1, T0.plus(TTL), "host-a:1"));
        clock.advance(Duration.ofSeconds(29));
        assertThatThrownBy(() -> ReplicaLease.acquire(replica(), "host-b:2", TTL, clock)).isInstanceOf(LeaseHeldException.class)
                .hasMessageContaining("held by host-a:1 until 2026-11-29T10:00:30Z").hasMessageContaining("lock.json");
        clock.advance(Duration.ofSeconds(1));
        ReplicaLease b = ReplicaLease.acquire(replica(), "host-b:2", TTL, clock);
        assertThat(b.lease()).isEqualTo(new Lease(2, T0.plus(Duration.ofSeconds(60)), "host-b:2"));
        assertThat(a.heldAt(clock.instant())).isFalse();
        assertThatThrownBy(a::renew).isInstanceOf(LeaseConflictException.class).hasMessageContaining("now held by host-b:2");
        assertThat(a.lostBecause()).contains("host-b:2");
        assertThat(stored().owner()).as("the loser's renewal changed nothing").isEqualTo("host-b:2");
    }

    /** A client of {@code lease} whose renewals wait on a timer the test steps by hand (nothing runs on real time). */
    private LeasedReplicaClient leased(ReplicaLease lease) {
        return new LeasedReplicaClient(client(), lease, clock, new ManualTimer(clock));
    }

    /**
     * The production path: the process's timer, measuring on the injected clock. While written, a
     * lease is renewed once a third of the TTL has passed (one wait for the renewal, not a look every
     * second); once not written for a renewal period, nothing more is asked of the timer.
     */
    @Test
    void theRenewalRenewsOnTheInjectedClockNotOnRealTime() throws Exception {
        DrivenClock driven = new DrivenClock(T0);
        LeasedReplicaClient c = (LeasedReplicaClient) LeasedReplicaClient.acquire(client(), TTL, driven);
        try {
            assertThat(stored().expiresAt()).isEqualTo(T0.plus(TTL));
            assertThat(driven.awaitSleeps("lease ", 1, Duration.ofSeconds(30))).containsExactly(Duration.ofSeconds(10));
            driven.advance(Duration.ofSeconds(9));
            write(c, 1); // written: the renewal at 10 s goes ahead
            assertThat(stored().expiresAt()).as("not due yet").isEqualTo(T0.plus(TTL));
            driven.advance(Duration.ofSeconds(1));
            // The renewal has run once the next wait is asked for; no real second passed for it.
            assertThat(driven.awaitSleeps("lease ", 2, Duration.ofSeconds(30))).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(10));
            assertThat(stored().expiresAt()).isEqualTo(T0.plusSeconds(10).plus(TTL));
            // Not written since 9 s: at 20 s the timer's task finds the replica idle and asks for nothing more.
            driven.advance(Duration.ofSeconds(10));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.renewing() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(c.renewing()).as("renewals off once idle").isFalse();
            assertThat(driven.awaitSleeps("lease ", 2, Duration.ofSeconds(1))).as("no third wait").hasSize(2);
            assertThat(stored().expiresAt()).as("not renewed while idle").isEqualTo(T0.plusSeconds(10).plus(TTL));
        } finally {
            c.close();
        }
    }

    /**
     * The process's shared timer (real time, the production path): renewals come every third of
     * the TTL while the replica is written, stop once it is not, and none comes after the close.
     * Real time is the point here: a TTL of 600 ms renews every 200 ms; the bounds (3 renewals
     * within 20 s of writes, renewals off within 20 s of the last write, none in the 1 s after)
     * leave wide margins for a loaded machine.
     */
    @Test
    void theSharedTimerRenewsWhileWrittenAndStopsWhenIdle() throws Exception {
        CountingLeaseStore store = new CountingLeaseStore(replica());
        java.time.Clock real = java.time.Clock.systemUTC();
        Duration ttl = Duration.ofMillis(600);
        LeasedReplicaClient c = new LeasedReplicaClient(client(), ReplicaLease.acquire(store, "me:1", ttl, real), real);
        int taken = store.writes.get();
        c.startRenewing();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long txid = 1;
        while (store.writes.get() < taken + 3 && System.nanoTime() < deadline) {
            write(c, txid++);
            Thread.sleep(20);
        }
        assertThat(store.writes.get()).as("renewals within 20 s of writes").isGreaterThanOrEqualTo(taken + 3);
        deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (c.renewing() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(c.renewing()).as("renewals off once idle").isFalse();
        int idle = store.writes.get();
        Thread.sleep(1000);
        assertThat(store.writes.get()).as("no renewal while idle").isEqualTo(idle);
        c.close();
        assertThat(store.writes.get()).as("no renewal at the close").isEqualTo(idle);
        assertThat(Files.exists(dir.resolve("replica/lock.json"))).as("released (lapsed, but still ours)").isFalse();
    }

    @Test
    void aLostLeaseStopsWritesAndTurnsHealthRed() throws Exception {
        ReplicaHealth health = new ReplicaHealth();
        LeasedReplicaClient a = leased(ReplicaLease.acquire(replica(), "a:1", TTL, clock));
        a.reportTo(health);
        write(a, 1);
        // Paused long enough (a stopped VM) for the lease to expire, and another replicator took it.
        clock.advance(Duration.ofSeconds(31));
        ReplicaLease b = ReplicaLease.acquire(replica(), "b:2", TTL, clock);
        // The write tries to renew the lapsed lease first: the conditional replace finds b's, so it is lost.
        assertThatThrownBy(() -> write(a, 2)).hasMessageContaining("lost").hasMessageContaining("now held by b:2");
        assertThat(a.renewIfDue()).isFalse();
        assertThat(health.problem(LeasedReplicaClient.HEALTH_KEY)).contains("lost").contains("now held by b:2").contains("writes to this replica stopped");
        assertThat(health.summary()).isNotNull();
        assertThatThrownBy(() -> write(a, 2)).hasMessageContaining("lost");
        assertThatThrownBy(() -> a.delete(0, new TxidRange(1, 1))).hasMessageContaining("lost");
        assertThat(a.capability(BatchDelete.class)).as("the file replica's batch delete, through the lease").isPresent();
        assertThatThrownBy(() -> ReplicaDeletes.delete(a, 0, java.util.List.of(new TxidRange(1, 1)))).hasMessageContaining("lost");
        assertThat(Files.exists(dir.resolve("replica/ltx/0/0000000000000002-0000000000000002.ltx"))).isFalse();
        assertThat(Files.exists(dir.resolve("replica/ltx/0/0000000000000001-0000000000000001.ltx"))).as("nothing deleted").isTrue();
        // Lost for good, even once b's lease expires: a restart decides, not a race.
        clock.advance(Duration.ofSeconds(60));
        assertThat(a.renewIfDue()).isFalse();
        a.close();
        assertThat(stored().owner()).as("closing the loser leaves the holder's lease").isEqualTo("b:2");
        assertThat(b.heldAt(clock.instant().minusSeconds(61))).isTrue();
    }

    /**
     * The timer's renewal came late (a loaded machine) and the lease lapsed, but no one took it: a
     * write renews it first and goes through, instead of failing until the timer catches up.
     */
    @Test
    void aWriteRenewsALapsedLeaseNoOneTookAndGoesThrough() throws Exception {
        ReplicaHealth health = new ReplicaHealth();
        LeasedReplicaClient c = leased(ReplicaLease.acquire(replica(), "me:1", TTL, clock));
        c.reportTo(health);
        clock.advance(Duration.ofSeconds(45)); // no renewal ran: lapsed 15 s ago
        write(c, 1);
        assertThat(stored().expiresAt()).as("renewed by the write").isEqualTo(clock.instant().plus(TTL));
        assertThat(stored().generation()).as("a renewal, not a take-over").isEqualTo(1);
        assertThat(Files.exists(dir.resolve("replica/ltx/0/0000000000000001-0000000000000001.ltx"))).isTrue();
        assertThat(health.summary()).isNull();
        assertThatThrownBy(() -> ReplicaLease.acquire(replica(), "other:2", TTL, clock)).isInstanceOf(LeaseHeldException.class);
    }

    @Test
    void renewalFailuresAlarmOnlyWhenTheLeaseRunsShortAndWritesPauseAfterExpiry() throws Exception {
        FlakyStore store = new FlakyStore(replica());
        ReplicaHealth health = new ReplicaHealth();
        LeasedReplicaClient c = leased(ReplicaLease.acquire(store, "me:1", TTL, clock));
        c.reportTo(health);
        store.failing = true;
        clock.advance(Duration.ofSeconds(10));
        assertThat(c.renewIfDue()).as("still held until 30 s").isTrue();
        assertThat(health.summary()).as("one failed renewal is no alarm").isNull();
        clock.advance(Duration.ofSeconds(11)); // 21 s: less than a third of the TTL left
        assertThat(c.renewIfDue()).isTrue();
        assertThat(health.problem(LeasedReplicaClient.HEALTH_KEY)).contains("renewing replica lease").contains("store unreachable");
        write(c, 1);
        clock.advance(Duration.ofSeconds(10)); // 31 s: expired
        assertThat(c.renewIfDue()).isFalse();
        assertThatThrownBy(() -> write(c, 2)).hasMessageContaining("expired").hasMessageContaining("paused");
        assertThat(health.problem(LeasedReplicaClient.HEALTH_KEY)).contains("paused");
        // The store answers again and no one took the lease: it renews, writes resume, health clears.
        store.failing = false;
        clock.advance(Duration.ofSeconds(3));
        assertThat(c.renewIfDue()).isTrue();
        assertThat(health.summary()).isNull();
        write(c, 2);
        assertThat(stored().expiresAt()).isEqualTo(clock.instant().plus(TTL));
    }

    @Test
    void closingReleasesTheLeaseForTheNextReplicatorAtOnce() throws Exception {
        ReplicaClient a = LeasedReplicaClient.acquire(client(), TTL, clock);
        assertThat(a).isInstanceOf(LeasedReplicaClient.class);
        assertThat(stored().owner()).isEqualTo(Lease.defaultOwner()).contains(":" + ProcessHandle.current().pid());
        a.close();
        assertThat(Files.exists(dir.resolve("replica/lock.json"))).isFalse();
        ReplicaLease b = ReplicaLease.acquire(replica(), "b:2", TTL, clock);
        assertThat(b.lease().generation()).isEqualTo(1);
    }

    @Test
    void aClientThatCannotKeepALeaseIsReturnedAsItIs() throws Exception {
        MemoryReplicaClient memory = new MemoryReplicaClient("memory");
        assertThat(LeasedReplicaClient.acquire(memory, TTL, clock)).isSameAs(memory);
    }

    @Test
    void readsLeasesAsLitestreamWritesThem() throws Exception {
        Lease l = Lease.parse("{\"generation\":7,\"expires_at\":\"2026-11-29T11:00:00.123456789+01:00\",\"owner\":\"web-1:4242\",\"extra\":[1]}"
                .replace("[1]", "null").getBytes(StandardCharsets.UTF_8), "lock.json");
        assertThat(l).isEqualTo(new Lease(7, Instant.parse("2026-11-29T10:00:00.123456789Z"), "web-1:4242"));
        Lease noOwner = Lease.parse("{\"generation\":1,\"expires_at\":\"0001-01-01T00:00:00Z\"}".getBytes(StandardCharsets.UTF_8), "lock.json");
        assertThat(noOwner.expired(T0)).isTrue();
        Lease quoted = new Lease(2, T0, "we\"ird\\host:1");
        assertThat(Lease.parse(quoted.toJson(), "x")).isEqualTo(quoted);
        assertThat(new String(new Lease(3, T0, "h:1").toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"generation\":3,\"expires_at\":\"2026-11-29T10:00:00Z\",\"owner\":\"h:1\"}");
        assertThatThrownBy(() -> Lease.parse("{\"generation\":1}".getBytes(StandardCharsets.UTF_8), "s3://b/p/lock.json"))
                .hasMessageContaining("s3://b/p/lock.json").hasMessageContaining("expires_at");
    }

    /** A lease store whose requests fail while {@code failing} is set. */
    private static final class FlakyStore implements LeaseStore {
        private final LeaseStore delegate;
        volatile boolean failing;

        FlakyStore(LeaseStore delegate) {
            this.delegate = delegate;
        }

        private void check() throws IOException {
            if (failing) {
                throw new IOException("store unreachable");
            }
        }

        @Override
        public Optional<Stored> readLease() throws IOException {
            check();
            return delegate.readLease();
        }

        @Override
        public String writeLease(byte[] content, String expectedVersion) throws IOException {
            check();
            return delegate.writeLease(content, expectedVersion);
        }

        @Override
        public void deleteLease(String expectedVersion) throws IOException {
            check();
            delegate.deleteLease(expectedVersion);
        }

        @Override
        public String leaseLocation() {
            return delegate.leaseLocation();
        }
    }
}
