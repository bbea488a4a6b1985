package io.litestream4j.core.replica;

import io.litestream4j.core.log.Loggers;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One replicator's claim to be the only writer of a replica, kept in the replica's
 * {@code lock.json} as Litestream keeps it: taken when there is no lease or the one there has
 * expired (a conditional create, or a conditional replace of the expired lease, so two
 * replicators racing for it cannot both win), renewed with a conditional replace of our own
 * version, released with a conditional delete.
 *
 * <p>When to renew is the caller's policy: {@link LeasedReplicaClient} renews only while the replica
 * is being written, so an idle replica's lease lapses, another replicator may then take it, and
 * our next {@link #renew} (before our next write) finds it taken and loses the lease for good.
 *
 * <p>Guarantee: while {@link #heldAt} is true, no other replicator using the same lease took the
 * replica since we last renewed. Not guaranteed: a write already sent when the lease ran out may
 * still land (object stores have no fencing tokens); renewing at a third of the TTL leaves two
 * thirds of it as the margin. A holder that provably ended on this machine ({@link LocalProcess})
 * is taken over before its lease expires. Expiry compares the holder's {@code expires_at} with the reader's
 * clock, so clocks must agree to well within the TTL.
 *
 * <p>Thread-safe; reading the state never waits for a request in flight.
 */
public final class ReplicaLease {
    private static final System.Logger LOG = Loggers.get(ReplicaLease.class);
    /** Litestream's default time to live. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);

    private final LeaseStore store;
    private final String owner;
    private final String process;
    private final Duration ttl;
    private final Clock clock;
    private Lease lease;
    private String version;
    /** Serialises the requests that change the lease object; state reads never wait for them. */
    private final Object io = new Object();
    /** Someone else changed or deleted the lease object: it is not ours any more, for good. */
    private String lostBecause;

    private ReplicaLease(LeaseStore store, Lease lease, Duration ttl, Clock clock, String version) {
        this.store = store;
        this.owner = lease.owner();
        this.process = lease.process();
        this.ttl = ttl;
        this.clock = clock;
        this.lease = lease;
        this.version = version;
    }

    /**
     * Takes the lease for {@code owner}, for {@code ttl}. A lease of another replicator that has
     * not expired is a {@link LeaseHeldException} naming it; a lease object that is not a lease is
     * an error naming it.
     */
    public static ReplicaLease acquire(LeaseStore store, String owner, Duration ttl, Clock clock) throws IOException {
        return acquire(store, owner, "", ttl, clock);
    }

    /**
     * {@link #acquire(LeaseStore, String, Duration, Clock)}, recording {@code process} (see
     * {@link LocalProcess}); a live lease whose recorded process is provably gone is taken at once.
     */
    static ReplicaLease acquire(LeaseStore store, String owner, String process, Duration ttl, Clock clock) throws IOException {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease ttl must be positive, got " + ttl);
        }
        Optional<LeaseStore.Stored> existing = store.readLease();
        long generation = 1;
        String expected = null;
        if (existing.isPresent()) {
            Lease held = parse(store, existing.get());
            if (!held.expired(clock.instant())) {
                if (held.process().isEmpty() || !LocalProcess.isGone(held.process())) {
                    throw new LeaseHeldException(store.leaseLocation(), held);
                }
                LOG.log(System.Logger.Level.INFO, "replica lease {0}: taking it over from {1}, a process of this machine that has ended",
                        store.leaseLocation(), held.owner());
            }
            generation = held.generation() + 1;
            expected = existing.get().version();
        }
        Lease mine = new Lease(generation, clock.instant().plus(ttl), owner, process);
        String version;
        try {
            version = store.writeLease(mine.toJson(), expected);
        } catch (LeaseConflictException e) {
            // Another replicator took it between our read and our write.
            Optional<LeaseStore.Stored> now = store.readLease();
            if (now.isPresent()) {
                throw new LeaseHeldException(store.leaseLocation(), parse(store, now.get()));
            }
            throw new IOException("replica lease %s: changed while we took it (another replicator starting): try again".formatted(store.leaseLocation()), e);
        }
        return new ReplicaLease(store, mine, ttl, clock, version);
    }

    private static Lease parse(LeaseStore store, LeaseStore.Stored stored) throws IOException {
        try {
            return Lease.parse(stored.content(), "replica lease " + store.leaseLocation());
        } catch (Lease.LeaseFormatException e) {
            throw new IOException(e.getMessage() + ": delete it if no replicator writes to this replica", e);
        }
    }

    /** Whether we hold the lease at {@code now}: not lost, and not past its expiry. */
    public synchronized boolean heldAt(Instant now) {
        return lostBecause == null && !lease.expired(now);
    }

    /** Null while the lease is ours (perhaps expired, and renewable); else why it is not ours any more. */
    public synchronized String lostBecause() {
        return lostBecause;
    }

    public synchronized Lease lease() {
        return lease;
    }

    public Duration ttl() {
        return ttl;
    }

    public String location() {
        return store.leaseLocation();
    }

    /**
     * Extends the lease to now + TTL. Succeeds even after our expiry if no one took the lease in
     * between (the conditional replace proves it). Someone else's version is a
     * {@link LeaseConflictException} that loses the lease for good.
     */
    public void renew() throws IOException {
        synchronized (io) {
            String expected;
            Lease next;
            synchronized (this) {
                if (lostBecause != null) {
                    throw new LeaseConflictException(lostBecause);
                }
                expected = version;
                next = new Lease(lease.generation(), clock.instant().plus(ttl), owner, process);
            }
            String written;
            try {
                written = store.writeLease(next.toJson(), expected);
            } catch (LeaseConflictException e) {
                String why = "replica lease %s lost: %s".formatted(store.leaseLocation(), currentHolder());
                synchronized (this) {
                    lostBecause = why;
                }
                throw new LeaseConflictException(why, e);
            }
            synchronized (this) {
                version = written;
                lease = next;
            }
        }
    }

    private String currentHolder() {
        try {
            Optional<LeaseStore.Stored> now = store.readLease();
            if (now.isEmpty()) {
                return "someone deleted it";
            }
            Lease other = parse(store, now.get());
            return "now held by %s until %s".formatted(other.owner().isEmpty() ? "an unnamed owner" : other.owner(), other.expiresAt());
        } catch (IOException e) {
            return "someone else changed it (reading it failed: " + e.getMessage() + ")";
        }
    }

    /** Gives the lease up (a conditional delete), so another replicator can take it at once. */
    public void release() throws IOException {
        synchronized (io) {
            String expected;
            synchronized (this) {
                if (lostBecause != null) {
                    return;
                }
                lostBecause = "replica lease %s released".formatted(store.leaseLocation());
                expected = version;
            }
            store.deleteLease(expected);
        }
    }
}
