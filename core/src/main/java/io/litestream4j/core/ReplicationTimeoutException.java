package io.litestream4j.core;

import io.litestream4j.ReplicaStatus;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Replicas did not take the changes a caller was waiting for within its timeout. The message
 * names each replica that is behind, what it holds and its problems; the changes stay in the
 * local files and are uploaded as soon as the replicas take them.
 */
public final class ReplicationTimeoutException extends IOException {
    private final long txid;
    private final transient List<ReplicaStatus> behind;

    /**
     * @param context what was waiting, e.g. {@code "app.db"}
     * @param txid the TXID waited for
     * @param behind the replicas that did not hold it at the deadline
     */
    public ReplicationTimeoutException(String context, long txid, Duration timeout, List<ReplicaStatus> behind) {
        super("%s: TXID %s not on every replica within %s: %s".formatted(context, Txid.format(txid), timeout,
                String.join("; ", behind.stream().map(s -> "%s holds %s%s".formatted(s.location(), Txid.format(s.txid()),
                        s.lastError() == null ? "" : " (" + s.lastError() + ")")).toList())));
        this.txid = txid;
        this.behind = List.copyOf(behind);
    }

    /** The TXID that was waited for. */
    public long txid() {
        return txid;
    }

    /** The replicas that did not hold it at the deadline. */
    public List<ReplicaStatus> behind() {
        return behind;
    }
}
