package io.litestream4j.core.replica;

import java.util.Optional;

/**
 * A client that passes every call to another: tests override the calls they want to disturb.
 * It hides the delegate's capabilities (not {@link LocalFiles}, not a {@link LeaseStore}), so
 * readers go through {@link #open} even when the delegate is a folder, and no lease is taken.
 */
public class ForwardingClient extends ForwardingReplicaClient {
    public ForwardingClient(ReplicaClient delegate) {
        super(delegate);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
    }
}
