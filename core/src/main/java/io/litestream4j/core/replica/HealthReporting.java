package io.litestream4j.core.replica;


/**
 * A capability of replica clients that watch something of their own (a lease) and report its
 * problems into the replica's health, beside the uploader's and the compactor's. The engine hands
 * each such client its replica's {@link ReplicaHealth} when replication starts.
 */
public interface HealthReporting {
    void reportTo(ReplicaHealth health);
}
