package io.litestream4j.vfs;

import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * Builds {@link PageMap}s of a replica's states with the restore's own planner
 * ({@link RestorePlanner}: the newest snapshot at or before the target, then the fewest
 * contiguous files from any level), so a state read through the VFS is the one
 * {@code litestream restore} of the same TXID or time would write. Opened files (header and page
 * index read) are kept by name and shared between states.
 */
final class ReplicaStates {
    /** Files whose header and index are read at once when a state is planned. */
    private static final int PARALLEL_OPENS = 8;

    private final ReplicaClient client;
    private final LongAdder bytesFetched;
    private final Map<String, ReplicaFile> open = new ConcurrentHashMap<>();

    ReplicaStates(ReplicaClient client, LongAdder bytesFetched) {
        this.client = client;
        this.bytesFetched = bytesFetched;
    }

    ReplicaClient client() {
        return client;
    }

    /** The newest state the replica can rebuild. */
    PageMap latest() throws IOException {
        return build(RestorePlanner.plan(client.location(), listAll(), 0, OptionalLong.empty()));
    }

    /** The state as of TXID {@code txid}, as {@code restore -txid} plans it. */
    PageMap atTxid(long txid) throws IOException {
        return build(RestorePlanner.plan(client.location(), listAll(), 0, OptionalLong.of(txid)));
    }

    /** {@link RestorePlanner#listAll}, the levels listed at once (ten sequential round trips would take seconds on a busy store). */
    private List<LtxFileInfo> listAll() throws IOException {
        List<Integer> levels = java.util.stream.IntStream.rangeClosed(0, LtxFileInfo.MAX_LEVEL).map(l -> LtxFileInfo.MAX_LEVEL - l).boxed().toList();
        return Parallel.map(levels, levels.size(), level -> client.listFiles(level, 0)).stream().flatMap(List::stream).toList();
    }

    /** The state as of {@code time}, as {@code restore -timestamp} plans it. */
    PageMap atTime(Instant time) throws IOException {
        return build(RestorePlanner.planAt(client, time));
    }

    /**
     * {@code base} moved forward by the L0 files after it, or null if there are none. Throws
     * {@link NeedsReplan} when L0 alone cannot extend it (files already compacted away, a
     * database that shrank): the caller then builds a fresh state with {@link #latest}.
     */
    PageMap extend(PageMap base, List<LtxFileInfo> l0) throws IOException {
        List<LtxFileInfo> chain = new ArrayList<>();
        long pos = base.txid();
        for (LtxFileInfo f : l0.stream().sorted(Comparator.comparing(LtxFileInfo::minTxid, Long::compareUnsigned)).toList()) {
            if (Long.compareUnsigned(f.maxTxid(), pos) <= 0) {
                continue;
            }
            if (Long.compareUnsigned(f.minTxid(), pos + 1) > 0) {
                throw new NeedsReplan("L0 holds no file after TXID %016x (next is %s)".formatted(pos, f.fileName()));
            }
            chain.add(f);
            pos = f.maxTxid();
        }
        if (chain.isEmpty()) {
            return null;
        }
        List<ReplicaFile> files = openAll(chain);
        for (ReplicaFile f : files) {
            if (f.reader().header().commit() < base.commit()) {
                throw new NeedsReplan("%s: the database shrank from %d to %d pages".formatted(f.name(), base.commit(), f.reader().header().commit()));
            }
        }
        return base.then(files);
    }

    /** L0 cannot extend a state: a fresh plan over every level is needed. */
    static final class NeedsReplan extends IOException {
        private static final long serialVersionUID = 1L;

        NeedsReplan(String message) {
            super(message);
        }
    }

    private PageMap build(RestorePlan plan) throws IOException {
        return PageMap.of(openAll(plan.files()));
    }

    private List<ReplicaFile> openAll(List<LtxFileInfo> infos) throws IOException {
        return Parallel.map(infos, PARALLEL_OPENS, this::file);
    }

    private ReplicaFile file(LtxFileInfo info) throws IOException {
        String key = key(info);
        ReplicaFile f = open.get(key);
        if (f == null || f.info().size() != info.size()) {
            f = ReplicaFile.open(client, info, bytesFetched);
            open.put(key, f);
        }
        return f;
    }

    /** Forgets opened files the newest state does not use (states still held keep their own references). */
    void retainOnly(PageMap newest) {
        Set<String> used = newest.files().stream().map(f -> key(f.info())).collect(Collectors.toSet());
        open.keySet().retainAll(used);
    }

    /** Deletes the local copies of every opened file (the VFS is closing). */
    void releaseAll() {
        open.values().forEach(ReplicaFile::release);
        open.clear();
    }

    private static String key(LtxFileInfo info) {
        return info.level() + "/" + info.fileName();
    }
}
