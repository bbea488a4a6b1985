package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.FakeClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link LeaseStore} must do (compare-and-swap on {@code lock.json}), run against each
 * backend that keeps a lease by a subclass that supplies a store for a fresh, empty replica, two
 * clients of it for the races.
 */
@Timeout(120) // per test: a hang ends, a slow machine does not fail it
public abstract class LeaseStoreContract {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    /** Each call: a new client of the same fresh replica (the first call of a test makes it fresh). */
    protected abstract LeaseStore store(boolean fresh) throws Exception;

    private static byte[] json(String owner) {
        return new Lease(1, T0, owner).toJson();
    }

    @Test
    void createsOnlyWhenAbsentAndReadsBackWhatItWrote() throws Exception {
        LeaseStore s = store(true);
        assertThat(s.readLease()).isEmpty();
        String v1 = s.writeLease(json("a"), null);
        assertThat(s.readLease()).get().satisfies(stored -> {
            assertThat(stored.content()).isEqualTo(json("a"));
            assertThat(stored.version()).isEqualTo(v1);
        });
        assertThatThrownBy(() -> s.writeLease(json("b"), null)).isInstanceOf(LeaseConflictException.class).hasMessageContaining("lock.json");
        assertThat(s.readLease().orElseThrow().content()).isEqualTo(json("a"));
        assertThat(s.leaseLocation()).endsWith("/lock.json");
    }

    @Test
    void replacesOnlyTheExpectedVersion() throws Exception {
        LeaseStore s = store(true);
        String v1 = s.writeLease(json("a"), null);
        String v2 = s.writeLease(json("b"), v1);
        assertThat(v2).isNotEqualTo(v1);
        assertThat(s.readLease().orElseThrow().content()).isEqualTo(json("b"));
        assertThatThrownBy(() -> s.writeLease(json("c"), v1)).as("a stale version").isInstanceOf(LeaseConflictException.class);
        assertThat(s.readLease().orElseThrow().content()).isEqualTo(json("b"));
        s.deleteLease(v2);
        if (refusesReplacingADeletedLease()) {
            assertThatThrownBy(() -> s.writeLease(json("d"), v2)).as("replacing a deleted lease").isInstanceOf(LeaseConflictException.class);
            assertThat(s.readLease()).isEmpty();
        }
    }

    /**
     * Whether {@code If-Match} on an object that is gone fails (AWS: 404). A server that creates
     * the object instead lets a renewal bring back a lease someone deleted; it cannot let a
     * renewal replace another replicator's lease.
     */
    protected boolean refusesReplacingADeletedLease() {
        return true;
    }

    /** Whether two conditional creates sent at the same instant cannot both succeed (AWS: one gets 412 or 409). */
    protected boolean atomicUnderRaces() {
        return true;
    }

    @Test
    void deletesOnlyTheExpectedVersion() throws Exception {
        LeaseStore s = store(true);
        String v1 = s.writeLease(json("a"), null);
        String v2 = s.writeLease(json("b"), v1);
        assertThatThrownBy(() -> s.deleteLease(v1)).isInstanceOf(LeaseConflictException.class);
        assertThat(s.readLease()).isPresent();
        s.deleteLease(v2);
        assertThat(s.readLease()).isEmpty();
        s.deleteLease(v2); // gone already: not an error
    }

    /** Replicators racing for a free lease, or for the same expired one: exactly one wins, the others are told who. */
    @Test
    void racingReplicatorsExactlyOneWins() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(atomicUnderRaces(), "this server's conditional writes are not atomic (see the subclass)");
        LeaseStore first = store(true);
        List<LeaseStore> stores = new ArrayList<>(List.of(first));
        for (int i = 1; i < 6; i++) {
            stores.add(store(false));
        }
        FakeClock clock = new FakeClock(T0);
        for (int round = 0; round < 2; round++) {
            // Round 0: no lease. Round 1: the previous winner's lease has expired.
            List<Object> outcomes = race(stores, clock, "round" + round + "-");
            List<ReplicaLease> won = outcomes.stream().filter(ReplicaLease.class::isInstance).map(ReplicaLease.class::cast).toList();
            assertThat(won).as("round %d: %s", round, outcomes).hasSize(1);
            String winner = won.getFirst().lease().owner();
            assertThat(won.getFirst().lease().generation()).isEqualTo(round + 1);
            for (Object o : outcomes) {
                if (o instanceof Throwable t) {
                    assertThat(t).as("round %d", round).isInstanceOf(LeaseHeldException.class).hasMessageContaining(winner);
                }
            }
            assertThat(Lease.parse(first.readLease().orElseThrow().content(), "lock.json").owner()).isEqualTo(winner);
            clock.advance(Duration.ofSeconds(31));
        }
    }

    private static List<Object> race(List<LeaseStore> stores, FakeClock clock, String prefix) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Object> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(stores.size())) {
            List<Future<ReplicaLease>> results = new ArrayList<>();
            for (int i = 0; i < stores.size(); i++) {
                LeaseStore s = stores.get(i);
                String owner = prefix + i;
                results.add(pool.submit(() -> {
                    go.await();
                    return ReplicaLease.acquire(s, owner, Duration.ofSeconds(30), clock);
                }));
            }
            go.countDown();
            for (Future<ReplicaLease> f : results) {
                try {
                    outcomes.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    outcomes.add(e.getCause());
                }
            }
        }
        return outcomes;
    }

    /**
     * Leases on demand against this store: an idle replica's lease lapses unrenewed, and its next
     * write renews it with a conditional replace of our version after the expiry, which this store
     * must accept when no one took the lease meanwhile (the data goes to a memory replica: only the
     * lease is this store's).
     */
    @Test
    void aLapsedLeaseNoOneTookIsRenewedByTheNextWrite() throws Exception {
        FakeClock clock = new FakeClock(T0);
        ManualTimer timer = new ManualTimer(clock);
        LeaseStore s = store(true);
        LeasedReplicaClient c = leftIdle(s, "me", clock, timer);
        assertThat(timer.pending()).as("idle: nothing scheduled").isEmpty();
        clock.advance(Duration.ofSeconds(50)); // lapsed at 30 s
        write(c, 1);
        Lease now = Lease.parse(s.readLease().orElseThrow().content(), "lock.json");
        assertThat(now.expiresAt()).isEqualTo(T0.plusSeconds(60).plus(TTL));
        assertThat(now.generation()).as("renewed, not taken over").isEqualTo(1);
        c.close();
        assertThat(s.readLease()).as("released").isEmpty();
    }

    /** A rival takes an idle replica's lapsed lease through this store: our next write is refused naming it, and our close leaves its lease. */
    @Test
    void aRivalKeepsTheLapsedLeaseItTook() throws Exception {
        FakeClock clock = new FakeClock(T0);
        ManualTimer timer = new ManualTimer(clock);
        LeaseStore ours = store(true);
        LeasedReplicaClient a = leftIdle(ours, "a", clock, timer);
        ReplicaHealth health = new ReplicaHealth();
        a.reportTo(health);
        clock.advance(Duration.ofSeconds(21)); // lapsed at 30 s
        ReplicaLease b = ReplicaLease.acquire(store(false), "b", TTL, clock);
        assertThatThrownBy(() -> write(a, 1)).hasMessageContaining("lost").hasMessageContaining("now held by b");
        assertThat(health.problem(LeasedReplicaClient.HEALTH_KEY)).contains("now held by b");
        a.close();
        assertThat(Lease.parse(ours.readLease().orElseThrow().content(), "lock.json")).isEqualTo(b.lease());
        b.renew();
        b.release();
        assertThat(ours.readLease()).isEmpty();
    }

    private static final Duration TTL = Duration.ofSeconds(30);

    /**
     * Takes the lease in {@code s} as {@code owner}, kept on demand for a memory replica (only the
     * lease is the store's), and leaves it unwritten for a renewal period: renewals have stopped.
     */
    private static LeasedReplicaClient leftIdle(LeaseStore s, String owner, FakeClock clock, ManualTimer timer) throws Exception {
        LeasedReplicaClient c = new LeasedReplicaClient(new MemoryReplicaClient("memory"), ReplicaLease.acquire(s, owner, TTL, clock), clock, timer);
        c.startRenewing();
        clock.advance(Duration.ofSeconds(10));
        timer.runDue();
        return c;
    }

    private static void write(ReplicaClient c, long txid) throws java.io.IOException {
        byte[] data = ("file " + txid).getBytes(StandardCharsets.UTF_8);
        c.write(0, new io.litestream4j.ltx.TxidRange(txid, txid), new java.io.ByteArrayInputStream(data), data.length, T0);
    }

    @Test
    void aLeaseThatIsNotJsonIsAnErrorNamingIt() throws Exception {
        LeaseStore s = store(true);
        s.writeLease("not json".getBytes(StandardCharsets.UTF_8), null);
        assertThatThrownBy(() -> ReplicaLease.acquire(s, "me", Duration.ofSeconds(30), new FakeClock(T0)))
                .hasMessageContaining(s.leaseLocation()).hasMessageContaining("not a lease object").hasMessageContaining("delete it");
    }
}
