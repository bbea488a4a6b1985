package io.litestream4j.core.replica;

import java.io.IOException;

/** Another replicator holds a replica's lease: this one must not write to it. Names the holder and until when. */
public final class LeaseHeldException extends IOException {
    private final Lease holder;

    LeaseHeldException(String location, Lease holder) {
        super(("replica lease %s is held by %s until %s: another replicator writes to this replica; "
                + "stop it, or wait for its lease to expire (a replicator that was killed holds it until then)")
                .formatted(location, holder.owner().isEmpty() ? "an unnamed owner" : holder.owner(), holder.expiresAt()));
        this.holder = holder;
    }

    public Lease holder() {
        return holder;
    }
}
