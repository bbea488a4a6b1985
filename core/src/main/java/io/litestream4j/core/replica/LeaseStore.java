package io.litestream4j.core.replica;

import java.io.IOException;
import java.util.Optional;

/**
 * A capability of replicas that can keep a lease object, {@code <path>/lock.json}, with
 * compare-and-swap writes: the primitive under {@link ReplicaLease}, which holds the lease logic
 * (owner, expiry, renewal) once for every backend. Checked with {@code instanceof}; a backend
 * that cannot write conditionally does not implement it.
 *
 * <p>A version is whatever the store uses to tell one content of the object from the next (an
 * S3 ETag, a hash of a file's bytes); callers only hand back what {@link #readLease} or
 * {@link #writeLease} returned.
 */
public interface LeaseStore {
    /** The lease object's bytes and version. */
    record Stored(byte[] content, String version) {}

    /** The lease object as stored, or empty when there is none. */
    Optional<Stored> readLease() throws IOException;

    /**
     * Stores {@code content} atomically (a reader sees the old or the new bytes, never a mix):
     * creates the object when {@code expectedVersion} is null and there is none (S3's
     * {@code If-None-Match: *}), or replaces it when its version is {@code expectedVersion}
     * ({@code If-Match}). Returns the new version. Any other state of the object is a
     * {@link LeaseConflictException} and changes nothing.
     */
    String writeLease(byte[] content, String expectedVersion) throws IOException;

    /**
     * Deletes the object if its version is {@code expectedVersion}; another version is a
     * {@link LeaseConflictException}; an object already gone is not an error.
     */
    void deleteLease(String expectedVersion) throws IOException;

    /** Where the lease object is, for messages ({@code file:///backups/db/lock.json}). */
    String leaseLocation();
}
