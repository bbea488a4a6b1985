package io.litestream4j.vfs;

import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.PageIndex;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where every page of one database state lives: page number -> (replica file, entry in its page
 * index), built from the files of a restore plan applied in order (a snapshot, then files that
 * extend the TXID chain), later files overriding earlier ones, pages above the final commit
 * dropped. Immutable: a reader holding one sees one state for as long as it holds it.
 *
 * <p>The lock page is never in an LTX file, so it is never in the map, and reads as zeros (as a
 * restored database has it).
 */
final class PageMap {
    private final long txid;
    private final Instant time;
    private final int pageSize;
    private final int commit;
    private final List<ReplicaFile> files;
    /** Per page (index pgno - 1): the file number in {@link #files}, or -1. */
    private final int[] fileOf;
    /** Per page: the entry number in that file's page index. */
    private final int[] entryOf;

    private PageMap(long txid, Instant time, int pageSize, int commit, List<ReplicaFile> files, int[] fileOf, int[] entryOf) {
        this.txid = txid;
        this.time = time;
        this.pageSize = pageSize;
        this.commit = commit;
        this.files = List.copyOf(files);
        this.fileOf = fileOf;
        this.entryOf = entryOf;
    }

    /** The map of the state after applying {@code chain} (a snapshot first) in order. */
    static PageMap of(List<ReplicaFile> chain) throws IOException {
        if (chain.isEmpty() || !chain.getFirst().reader().header().isSnapshot()) {
            throw new IOException("page map: want a chain starting with a snapshot, got " + chain.stream().map(ReplicaFile::name).toList());
        }
        int pageSize = chain.getFirst().reader().header().pageSize();
        return apply(new PageMap(0, Instant.EPOCH, pageSize, 0, List.of(), new int[0], new int[0]), chain);
    }

    /**
     * This state with {@code next} applied in order: each must extend the chain
     * ({@code min <= txid + 1 <= max}) and have this map's page size.
     */
    PageMap then(List<ReplicaFile> next) throws IOException {
        return apply(this, next);
    }

    private static PageMap apply(PageMap base, List<ReplicaFile> next) throws IOException {
        long txid = base.txid;
        int commit = base.commit;
        Instant time = base.time;
        List<ReplicaFile> files = new ArrayList<>(base.files);
        for (ReplicaFile f : next) {
            LtxHeader h = f.reader().header();
            if (h.pageSize() != base.pageSize) {
                throw new IOException("%s: page size %d, the chain's is %d".formatted(f.name(), h.pageSize(), base.pageSize));
            }
            if (Long.compareUnsigned(h.minTxid(), txid + 1) > 0 || Long.compareUnsigned(h.maxTxid(), txid) <= 0) {
                throw new IOException("%s: TXIDs %d-%d do not extend the chain at %d".formatted(f.name(), h.minTxid(), h.maxTxid(), txid));
            }
            txid = h.maxTxid();
            commit = h.commit();
            time = Instant.ofEpochMilli(h.timestamp());
        }
        int[] fileOf = Arrays.copyOf(base.fileOf, commit);
        int[] entryOf = Arrays.copyOf(base.entryOf, commit);
        if (commit > base.commit) {
            Arrays.fill(fileOf, base.commit, commit, -1);
        }
        for (ReplicaFile f : next) {
            int n = files.size();
            files.add(f);
            PageIndex index = f.reader().index();
            for (int i = 0; i < index.size(); i++) {
                int pgno = index.pgno(i);
                if (pgno <= commit) {
                    fileOf[pgno - 1] = n;
                    entryOf[pgno - 1] = i;
                }
            }
        }
        return new PageMap(txid, time, base.pageSize, commit, dropUnused(files, fileOf), fileOf, entryOf);
    }

    /** {@code files} without those no page refers to any more; renumbers {@code fileOf} in place. */
    private static List<ReplicaFile> dropUnused(List<ReplicaFile> files, int[] fileOf) {
        int[] renumber = new int[files.size()];
        Arrays.fill(renumber, -1);
        for (int f : fileOf) {
            if (f >= 0) {
                renumber[f] = 0;
            }
        }
        List<ReplicaFile> kept = new ArrayList<>();
        for (int i = 0; i < renumber.length; i++) {
            if (renumber[i] == 0) {
                renumber[i] = kept.size();
                kept.add(files.get(i));
            }
        }
        for (int p = 0; p < fileOf.length; p++) {
            if (fileOf[p] >= 0) {
                fileOf[p] = renumber[fileOf[p]];
            }
        }
        return kept;
    }

    long txid() {
        return txid;
    }

    /** When the newest file of the state was written (its LTX header's timestamp). */
    Instant time() {
        return time;
    }

    int pageSize() {
        return pageSize;
    }

    /** The database size in pages. */
    int commit() {
        return commit;
    }

    long sizeBytes() {
        return (long) commit * pageSize;
    }

    List<ReplicaFile> files() {
        return files;
    }

    /** The file holding page {@code pgno}, or null (the lock page, or beyond the end). */
    ReplicaFile fileOf(int pgno) {
        int f = pgno >= 1 && pgno <= commit ? fileOf[pgno - 1] : -1;
        return f < 0 ? null : files.get(f);
    }

    /** The entry of page {@code pgno} in {@link #fileOf}'s page index. */
    int entryOf(int pgno) {
        return entryOf[pgno - 1];
    }

    /** Pages whose location differs between this map and {@code newer} (within this map's size). */
    List<Long> locationsChangedIn(PageMap newer) {
        List<Long> out = new ArrayList<>();
        for (int pgno = 1; pgno <= commit; pgno++) {
            ReplicaFile old = fileOf(pgno);
            if (old != null && (old != newer.fileOf(pgno) || entryOf(pgno) != newer.entryOf(pgno))) {
                out.add(PageCache.key(old, pgno));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "TXID %016x (%d pages of %d bytes, %d files)".formatted(txid, commit, pageSize, files.size());
    }
}
