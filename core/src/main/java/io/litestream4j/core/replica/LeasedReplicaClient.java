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
 * Writes to a replica only while holding its {@link ReplicaLease}: renews the lease every third
 * of its TTL (woken by the process's one {@link LeaseRenewals} timer, so a lease costs no thread
 * and no wake-up between renewals), refuses writes and deletes (an {@link IOException} saying
 * why) once the lease has expired unrenewed or another replicator took it, and releases it when
 * closed. Reads pass through. Lease problems are reported under {@value #HEALTH_KEY} in the
 * replica's {@link ReplicaHealth}, so /healthz turns red when the lease is lost.
 *
 * <p>A lease taken over by someone else is lost for good: from then on nothing is written to the
 * replica by this process. A lease that expired only because renewing failed (the store
 * unreachable) is renewed, if no one took it meanwhile, when the store answers again, and writes
 * resume.
 */
public final class LeasedReplicaClient extends ForwardingReplicaClient implements HealthReporting {
    private static final System.Logger LOG = System.getLogger(LeasedReplicaClient.class.getName());
    public static final String HEALTH_KEY = "lease";

    private final ReplicaLease lease;
    private final Clock clock;
    private volatile ReplicaHealth health = new ReplicaHealth();
    private Instant nextRenewal;
    /** Guards the renewal schedule: {@link #scheduled}, {@link #renewing} and {@link #closed}. */
    private final Object schedule = new Object();
    private LeaseRenewals.Pending scheduled;
    /** The renewal in progress, if any; a close waits for it. */
    private Thread renewing;
    private boolean closed;

    LeasedReplicaClient(ReplicaClient delegate, ReplicaLease lease, Clock clock) {
        super(delegate);
        this.lease = lease;
        this.clock = clock;
        this.nextRenewal = clock.instant().plus(renewEvery());
    }

    /**
     * Takes {@code client}'s lease and returns the client wrapped to keep it, renewing on a thread
     * of its own; a client that cannot keep a lease (not a {@link LeaseStore}, or a store that
     * cannot write conditionally: a warning) is returned as it is.
     * Another replicator's live lease is a {@link LeaseHeldException}; the caller still owns
     * (and closes) {@code client} when this throws.
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

    /** Renews from now on, each time when due, until closed or lost; called once, by {@link #acquire} (or a test). */
    void startRenewing() {
        scheduleRenewal();
    }

    /** Asks the process's timer to wake {@link #renewOnTimer} when the next renewal (or retry) is due. */
    private void scheduleRenewal() {
        Instant due;
        synchronized (this) {
            due = nextRenewal;
        }
        Duration delay = Duration.between(clock.instant(), due);
        synchronized (schedule) {
            if (!closed) {
                scheduled = LeaseRenewals.after(clock, delay, "lease " + lease.location(), this::renewOnTimer);
            }
        }
    }

    private void renewOnTimer() {
        synchronized (schedule) {
            if (closed) {
                return;
            }
            renewing = Thread.currentThread();
        }
        try {
            renewIfDue();
        } finally {
            synchronized (schedule) {
                renewing = null;
            }
            // A lease lost to another replicator is lost for good: nothing left to renew.
            if (lease.lostBecause() == null) {
                scheduleRenewal();
            }
        }
    }

    /**
     * Renews the lease if a third of its TTL has passed since the last renewal (a tenth after a
     * failed one). Returns whether the lease is ours at the end. Called on the renewal's thread (see {@link LeaseRenewals}); by
     * tests with a fake clock.
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
            nextRenewal = now.plus(renewEvery());
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

    /** Fails unless the lease is ours now. */
    private void checkHeld() throws IOException {
        Instant now = clock.instant();
        if (lease.heldAt(now)) {
            return;
        }
        // Lapsed, not lost: the timer's renewal came late (10,000 databases on a machine at load 25
        // lapsed hundreds of leases, and a start whose first upload found its lease lapsed stopped
        // the process) or failed. Renewing now, before the write, keeps the guarantee: the
        // conditional replace works only if no one took the lease since our last renewal. After a
        // failed renewal the next try waits a tenth of the TTL (renewIfDue), so a failing store is
        // not asked at every write.
        if (lease.lostBecause() == null && renewIfDue()) {
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
        checkHeld();
        return delegate.write(level, range, data, size, createdAt);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        checkHeld();
        delegate.delete(level, range);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == BatchDelete.class) {
            return batchDeleteThrough((wrapped, level, ranges) -> {
                checkHeld();
                wrapped.delete(level, ranges);
            }).map(type::cast);
        }
        return super.capability(type);
    }

    @Override
    public void deleteAll() throws IOException {
        checkHeld();
        delegate.deleteAll();
    }

    /** Stops renewing, releases the lease (so another replicator can start at once), and closes the replica. */
    @Override
    public void close() throws IOException {
        Thread r;
        synchronized (schedule) {
            closed = true;
            if (scheduled != null) {
                scheduled.cancel();
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
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: releasing replica lease {1} failed (it expires by itself): {2}", delegate.location(),
                    lease.location(), ReplicaHealth.describe(e));
        } finally {
            delegate.close();
        }
    }
}
