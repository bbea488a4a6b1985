package io.litestream4j.core.replica;

import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.util.List;

/**
 * A capability: the store deletes many files in one request (S3's DeleteObjects; a local folder,
 * which syncs its directory once). Without it, {@link ReplicaDeletes#delete} sends one
 * {@link ReplicaClient#delete} per file, a few at a time.
 *
 * <p>A decorator ({@link ForwardingReplicaClient}) hides this capability unless it wraps it: every
 * delete must pass through the decorators (the lease refuses deletes it no longer holds, the
 * listing cache forgets deleted files, metrics count them), and a batch found beneath them would go
 * around all three.
 */
public interface BatchDelete {
    /** Deletes files of {@code level}; files already gone are not an error. */
    void delete(int level, List<TxidRange> ranges) throws IOException;
}
