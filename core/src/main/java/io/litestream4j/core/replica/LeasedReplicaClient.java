package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Writes to a replica only while holding its {@link ReplicaLease}, and keeps the lease only while
 * the replica is being written ("leases on demand"):
 *
 * <ul>
 * <li>At start the lease is taken; a live lease of another replicator is refused, naming it.
 * <li>While writes and deletes pass through (uploads, compactions, snapshots, retention), the
 *     lease is renewed every third of its TTL, woken by the process's one {@link LeaseRenewals}
 *     timer (no thread and no wake-up between renewals).
 * <li>A replica with no write or delete for a whole renewal period (and none in flight) stops
 *     renewing: its lease lapses at its expiry, and nothing is scheduled for it any more (no timer
 *     entry, no thread, no request). An idle replica costs nothing: no conditional PUT every 10 s
 *     for ever on an object store, no file rename with an fsync on a file replica.
 * <li>Before every write or delete the lease must be ours with at least two thirds of its TTL
 *     left: if it expires sooner (or has lapsed), it is renewed first, synchronously, with the
 *     same conditional replace as any renewal, and renewals resume on the timer while writes go on.
 * <li>If another replicator took the lapsed lease meanwhile, that renewal fails: the write fails,
 *     the lease is lost for good (nothing more is written by this process, whatever happens to the
 *     rival's lease later: a restart decides, not a race) and {@value #HEALTH_KEY} in the replica's
 *     {@link ReplicaHealth} says so, which turns /healthz red.
 * <li>Closing releases the lease if it is still ours (a conditional delete: a rival's lease is
 *     never removed).
 * </ul>
 *
 * <p>Guarantee: never two replicators writing the same replica at once. A write starts only while
 * we hold the lease with two thirds of its TTL left (so no one else can take it during that time,
 * clocks agreeing), and the timer keeps renewing while writes are in flight. Not guaranteed, and
 * the price of costing nothing while idle: that a second replicator is refused at start while this
 * one runs. Once our replica has been idle for a renewal period plus two thirds of the TTL (30 s
 * with the default TTL), its lease has lapsed and a rival may take it; this process then stops at
 * its next write, with the lease reported lost, and the rival keeps the replica. As before, a write
 * already sent when the lease ran out may still land (object stores have no fencing tokens).
 *
 * <p>A lease that expired because renewing failed (the store unreachable) is renewed, if no one took
 * it meanwhile, when the store answers again, and writes resume; after a failed renewal the next
 * try waits a tenth of the TTL, so a failing store is not asked at every write. Reads pass through.
 * Time is the injected clock's.
 */
public final class LeasedReplicaClient extends ForwardingReplicaClient implements HealthReporting {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(LeasedReplicaClient.class);
    public static final String HEALTH_KEY = "lease";

    private final ReplicaLease lease;
    private final Clock clock;
    private final LeaseRenewals.Timer timer;
    private volatile ReplicaHealth health = new ReplicaHealth();

    /**
     * When the next renewal is due: a third of the TTL after the last one (a tenth after a failed
     * one). Guarded by this; the renewal's request is made under it too, so a write that needs the
     * lease renewed waits for a renewal in progress instead of sending a second one.
     */
    private Instant nextRenewal;
    /** Guards {@link #lastUse} and {@link #inFlight}, so that counting a write never waits for a renewal's request. */
    private final Object uses = new Object();
    /** When the last write or delete started or ended. */
    private Instant lastUse;
    /** Writes and deletes in flight. */
    private int inFlight;

    /** Guards {@link #armed}, {@link #scheduled}, {@link #renewing} and {@link #closed}; taken before {@code this} and {@link #uses}, never after. */
    private final Object schedule = new Object();
    /** Whether renewals are on: a timer entry waits, or the timer's renewal runs (and schedules the next). */
    private boolean armed;
    private LeaseRenewals.Pending scheduled;
    /** The timer's renewal in progress, if any; a close waits for it. */
    private Thread renewing;
    private boolean closed;

    LeasedReplicaClient(ReplicaClient delegate, ReplicaLease lease, Clock clock) {
        this(delegate, lease, clock, LeaseRenewals.on(clock));
    }

    LeasedReplicaClient(ReplicaClient delegate, ReplicaLease lease, Clock clock, LeaseRenewals.Timer timer) {
        super(delegate);
        this.lease = lease;
        this.clock = clock;
        this.timer = timer;
        this.nextRenewal = renewalDue();
        this.lastUse = clock.instant();
    }

    /**
     * Takes {@code client}'s lease and returns the client wrapped to keep it while it is written; a
     * client that cannot keep a lease (not a {@link LeaseStore}, or a store that cannot write
     * conditionally: a warning) is returned as it is. Another replicator's live lease is a
     * {@link LeaseHeldException}; the caller still owns (and closes) {@code client} when this throws.
     */
    public static ReplicaClient acquire(ReplicaClient client, Duration ttl, Clock clock) throws IOException {
        if (client.capability(LeasedReplicaClient.class).isPresent()) {
            return client; // already leased: taking it again would make this process its own rival
        }
        var found = client.capability(LeaseStore.class);
        if (found.isEmpty()) {
            return client;
        }
        LeaseStore store = found.get();
        ReplicaLease lease;
        try {
            lease = ReplicaLease.acquire(store, Lease.defaultOwner(), LocalProcess.current(), ttl, clock);
        } catch (LeaseUnsupportedException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: replicating without a lease, so a second replicator writing to this replica would go "
                    + "unnoticed: {1}", client.location(), e.getMessage());
            return client;
        }
        LeasedReplicaClient leased = new LeasedReplicaClient(client, lease, clock);
        leased.startRenewing();
        LOG.log(System.Logger.Level.DEBUG, "took replica lease {0} until {1}", store.leaseLocation(), leased.lease.lease().expiresAt());
        return leased;
    }

    private Duration renewEvery() {
        return lease.ttl().dividedBy(3);
    }

    /** When the lease as it stands has only two thirds of its TTL left: a third of the TTL after it was taken or renewed. */
    private Instant renewalDue() {
        return lease.lease().expiresAt().minus(lease.ttl().minus(renewEvery()));
    }

    public ReplicaLease lease() {
        return lease;
    }

    @Override
    public void reportTo(ReplicaHealth health) {
        String current = this.health.problem(HEALTH_KEY);
        this.health = health;
        if (current != null) {
            health.report(HEALTH_KEY, current);
        }
    }

    /** Renews from now on while the replica is written; called once, by {@link #acquire} (or a test). */
    void startRenewing() {
        synchronized (schedule) {
            if (!closed && !armed) {
                arm();
            }
        }
    }

    /** Whether renewals are on (a timer entry waits or a renewal runs); false once idle, lost or closed. For tests. */
    boolean renewing() {
        synchronized (schedule) {
            return armed;
        }
    }

    /** Asks the timer to wake {@link #renewOnTimer} when the next renewal (or retry) is due. Called holding {@link #schedule}. */
    private void arm() {
        Instant due;
        synchronized (this) {
            due = nextRenewal;
        }
        scheduled = timer.after(Duration.between(clock.instant(), due), "lease " + lease.location(), this::renewOnTimer);
        armed = true;
    }

    private void renewOnTimer() {
        synchronized (schedule) {
            scheduled = null;
            if (closed || lease.lostBecause() != null) {
                armed = false;
                return;
            }
            // Decided under the schedule's lock: a write that starts after this sees renewals off and turns them on.
            if (idle()) {
                armed = false;
                LOG.log(System.Logger.Level.DEBUG, "{0}: not written for {1}: renewals stop, the lease lapses at {2}", delegate.location(),
                        renewEvery(), lease.lease().expiresAt());
                return;
            }
            renewing = Thread.currentThread();
        }
        try {
            renewIfDue();
        } finally {
            synchronized (schedule) {
                renewing = null;
                // A lease lost to another replicator is lost for good: nothing left to renew.
                if (closed || lease.lostBecause() != null) {
                    armed = false;
                } else {
                    arm();
                }
            }
        }
    }

    /** No write or delete in flight, and none for a whole renewal period. */
    private boolean idle() {
        synchronized (uses) {
            return inFlight == 0 && !lastUse.isAfter(clock.instant().minus(renewEvery()));
        }
    }

    /**
     * Renews the lease if a third of its TTL has passed since the last renewal (a tenth after a
     * failed one), that is when less than two thirds of the TTL is left. Returns whether the lease
     * is ours at the end. Called by the timer's renewal and before each write.
     */
    synchronized boolean renewIfDue() {
        Instant now = clock.instant();
        if (lease.lostBecause() != null) {
            return false;
        }
        if (now.isBefore(nextRenewal)) {
            return lease.heldAt(now);
        }
        try {
            lease.renew();
            nextRenewal = renewalDue();
            health.clear(HEALTH_KEY);
            return true;
        } catch (LeaseConflictException e) {
            String problem = e.getMessage() + "; writes to this replica stopped: another replicator writes to it";
            health.report(HEALTH_KEY, problem);
            LOG.log(System.Logger.Level.ERROR, "{0}: {1}", delegate.location(), problem);
            return false;
        } catch (IOException | RuntimeException e) {
            nextRenewal = now.plus(lease.ttl().dividedBy(10));
            Instant expires = lease.lease().expiresAt();
            String problem = "renewing replica lease %s failed: %s; %s".formatted(lease.location(), ReplicaHealth.describe(e),
                    lease.heldAt(now) ? "held until " + expires : "expired at " + expires + ", writes to this replica paused until it renews");
            // One failed renewal leaves two thirds of the TTL: an alarm only once a second one fails.
            if (Duration.between(now, expires).compareTo(renewEvery()) < 0) {
                health.report(HEALTH_KEY, problem);
            }
            LOG.log(System.Logger.Level.WARNING, "{0}: {1}", delegate.location(), problem);
            return lease.heldAt(now);
        }
    }

    /** One write or delete through the lease. */
    @FunctionalInterface
    private interface Use<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code use} once the lease is ours with two thirds of its TTL left (renewing first when
     * it is not), with renewals on while it runs; fails, changing nothing, when the lease is lost
     * or lapsed and cannot be renewed.
     */
    private <T> T leased(Use<T> use) throws IOException {
        synchronized (uses) {
            inFlight++;
            lastUse = clock.instant();
        }
        try {
            requireHeld();
            synchronized (schedule) {
                if (!closed && !armed) {
                    arm(); // written again after an idle spell: renewals resume
                }
            }
            return use.run();
        } finally {
            synchronized (uses) {
                inFlight--;
                lastUse = clock.instant();
            }
        }
    }

    /** Renews when due (an idle replica's lapsed lease included), then fails unless the lease is ours. */
    private void requireHeld() throws IOException {
        // Due when less than two thirds of the TTL is left: after an idle spell (the lease lapsed or
        // about to), or when the timer's renewal came late (10,000 databases on a machine at load 25
        // lapsed hundreds of leases) or failed. The conditional replace proves no one took the lease
        // since our last renewal; if someone did, it is lost here, before anything is written.
        if (renewIfDue()) {
            return;
        }
        String lost = lease.lostBecause();
        String problem = lost != null ? lost + "; writes to this replica stopped"
                : "replica lease %s expired at %s (not renewed): writes to this replica paused until it renews".formatted(lease.location(),
                        lease.lease().expiresAt());
        health.report(HEALTH_KEY, problem);
        throw new IOException(problem);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        return leased(() -> delegate.write(level, range, data, size, createdAt));
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        leased(() -> {
            delegate.delete(level, range);
            return null;
        });
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == BatchDelete.class) {
            return batchDeleteThrough((wrapped, level, ranges) -> leased(() -> {
                wrapped.delete(level, ranges);
                return null;
            })).map(type::cast);
        }
        return super.capability(type);
    }

    @Override
    public void deleteAll() throws IOException {
        leased(() -> {
            delegate.deleteAll();
            return null;
        });
    }

    /**
     * Stops renewing, releases the lease if it is still ours (so another replicator can start at
     * once; a lease that lapsed while idle and was taken by another replicator is left to it), and
     * closes the replica.
     */
    @Override
    public void close() throws IOException {
        Thread r;
        synchronized (schedule) {
            closed = true;
            armed = false;
            if (scheduled != null) {
                scheduled.cancel();
                scheduled = null;
            }
            r = renewing;
        }
        if (r != null && r != Thread.currentThread()) {
            try {
                r.join(Duration.ofSeconds(10)); // a renewal's writes are atomic; the release below waits for it anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            lease.release();
        } catch (LeaseConflictException e) {
            LOG.log(System.Logger.Level.INFO, "{0}: replica lease {1} is not ours any more (it lapsed while the replica was idle and another "
                    + "replicator took it): left to it", delegate.location(), lease.location());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: releasing replica lease {1} failed (it expires by itself): {2}", delegate.location(),
                    lease.location(), ReplicaHealth.describe(e));
        } finally {
            delegate.close();
        }
    }
}
