package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Remembers each level's file list after listing it once, and keeps it current with the writes
 * and deletes that go through it. A replicator is the only writer of its replica (it refuses to
 * start when the replica is ahead of it), so after start-up the uploads, compactions and retention
 * checks of an idle database cost no request at all: on object stores, LISTs are billed.
 */
public final class CachingReplicaClient extends ForwardingReplicaClient {
    private static final Comparator<TxidRange> BY_TXID = Comparator.comparing(TxidRange::min, Long::compareUnsigned)
            .thenComparing(TxidRange::max, Long::compareUnsigned);

    /** Per level: null until listed, then every file of the level by TXID range. */
    private final List<TreeMap<TxidRange, LtxFileInfo>> levels = new ArrayList<>();
    /** Counts what may have changed the listings: writes, deletes, forgotten listings. Guarded by this. */
    private long changes;

    public CachingReplicaClient(ReplicaClient delegate) {
        super(delegate);
        for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
            levels.add(null);
        }
    }

    @Override
    public synchronized List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        TreeMap<TxidRange, LtxFileInfo> files = levels.get(level);
        if (files == null) {
            files = new TreeMap<>(BY_TXID);
            for (LtxFileInfo f : delegate.listFiles(level, 0)) {
                files.put(f.range(), f);
            }
            levels.set(level, files);
        }
        return files.values().stream().filter(f -> Long.compareUnsigned(f.maxTxid(), fromTxid) >= 0).toList();
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        LtxFileInfo info = delegate.write(level, range, data, size, createdAt);
        synchronized (this) {
            TreeMap<TxidRange, LtxFileInfo> files = levels.get(level);
            if (files != null) {
                files.put(range, info);
            }
            changes++;
        }
        return info;
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        deleted(level, List.of(range), () -> delegate.delete(level, range));
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == BatchDelete.class) {
            return batchDeleteThrough((wrapped, level, ranges) -> deleted(level, ranges, () -> wrapped.delete(level, ranges))).map(type::cast);
        }
        return super.capability(type);
    }

    @FunctionalInterface
    private interface Deletion {
        void run() throws IOException;
    }

    /** Runs {@code deletion} and forgets the deleted files; after a failure the level is listed again. */
    private void deleted(int level, List<TxidRange> ranges, Deletion deletion) throws IOException {
        try {
            deletion.run();
        } catch (IOException | RuntimeException e) {
            // Some may be gone and some not: list again next time.
            synchronized (this) {
                levels.set(level, null);
                changes++;
            }
            throw e;
        }
        synchronized (this) {
            TreeMap<TxidRange, LtxFileInfo> files = levels.get(level);
            if (files != null) {
                ranges.forEach(files::remove);
            }
            changes++;
        }
    }

    /**
     * Lists {@code level} in the store (one request) and tells whether it holds exactly the files
     * this cache believes it does: false means someone else changed the replica (a wipe, a
     * lifecycle rule) or an upload through this cache is still in flight. A level not listed yet
     * is listed and remembered, and counts as unchanged.
     */
    public boolean levelUnchanged(int level) throws IOException {
        List<TxidRange> stored = delegate.listFiles(level, 0).stream().map(LtxFileInfo::range).sorted(BY_TXID).toList();
        synchronized (this) {
            TreeMap<TxidRange, LtxFileInfo> files = levels.get(level);
            if (files == null) {
                listFiles(level, 0);
                return true;
            }
            return stored.equals(List.copyOf(files.keySet()));
        }
    }

    /** Forgets every listing: the next list of each level asks the store (to see changes made behind our back). */
    public synchronized void forget() {
        levels.replaceAll(l -> null);
        changes++;
    }

    /**
     * A number that grows whenever the files this client lists may have changed (a write or a
     * delete through it, a listing forgotten): read before listing, the same number later means
     * the listing is still what it was. A replica's maintainer uses it to pass over compactions and retention
     * runs that would find nothing new.
     */
    public synchronized long changes() {
        return changes;
    }

    @Override
    public void deleteAll() throws IOException {
        try {
            delegate.deleteAll();
        } finally {
            synchronized (this) {
                levels.replaceAll(l -> null);
                changes++;
            }
        }
    }
}
