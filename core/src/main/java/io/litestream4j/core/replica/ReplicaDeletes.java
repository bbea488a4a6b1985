package io.litestream4j.core.replica;

import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.util.List;

/** Deletes of many files on any replica: the store's batch delete where it has one, else one request per file, a few at a time. */
public final class ReplicaDeletes {
    /** Per-file deletes in flight at once: enough to hide round trips, few enough for one SSH channel or a small server. */
    private static final int PARALLEL_DELETES = 8;

    private ReplicaDeletes() {}

    /** Deletes files of {@code level}; files already gone are not an error. */
    public static void delete(ReplicaClient client, int level, List<TxidRange> ranges) throws IOException {
        if (ranges.isEmpty()) {
            return;
        }
        var batch = client.capability(BatchDelete.class);
        if (batch.isPresent()) {
            batch.get().delete(level, ranges);
            return;
        }
        Parallel.map(ranges, PARALLEL_DELETES, range -> {
            client.delete(level, range);
            return range;
        });
    }
}
