package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * {@code nats://[user:password@]host[:port]/bucket}: a replica in a NATS JetStream object store
 * bucket, which must exist; or a config section with Litestream 0.5's NATS keys.
 */
public final class NatsReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("nats");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(ReplicaSpec.of(url, this));
    }

    @Override
    public ReplicaClient create(ReplicaSpec spec) throws IOException {
        return new NatsReplicaClient(NatsSettings.from(spec));
    }

    @Override
    public Set<String> configKeys() {
        return NatsSettings.CONFIG_KEYS;
    }

    @Override
    public Set<String> secretKeys() {
        return NatsSettings.SECRET_KEYS;
    }
}
