package io.litestream4j.core;

import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalScanner;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxFormatException;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.PageChecksums;
import io.litestream4j.ltx.Txid;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * One replicated database: turns its WAL into L0 LTX files in the local store, one file per
 * {@link #sync}, and runs its checkpoints.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Every committed transaction's effect ends up in the L0 files, in commit order; TXIDs have
 *       no gaps. Normally each sync's frames make one file. When the WAL was restarted or
 *       truncated over frames we never copied (the application wrote and checkpointed between
 *       two of our looks), the pages that differ from our per-page checksums are written as the
 *       next TXID ({@link ChangedPages}): the application's transactions since our last look
 *       merge into that one TXID. A full snapshot is written only when those checksums cannot be
 *       trusted (the first TXID, a WAL generation changed before a resumed replicator caught up,
 *       a failed write).
 *   <li>Each file carries the database checksum before and after it (when the one before is
 *       known), kept current per page without re-reading the database.
 *   <li>Files are written atomically and durably ({@link AtomicFiles}); a crash at any point
 *       leaves the store at a file boundary, and the next start resumes from its newest file.
 *   <li>The application's writers are blocked only by the brief barrier around a checkpoint, and
 *       its own checkpoints wait for our pin for at most about one sync: the pin is held while a
 *       sync copies, moved to the end of what it copied, and let go by the first sync that finds
 *       nothing new (at most SYNC_SPACING later, see {@link DatabaseReplicator}).
 * </ul>
 *
 * <p>Why following a new WAL generation from its first frame is safe while the pin has been held
 * since our newest file ({@link #pinCoversCopied}): the pin is taken either under the barrier
 * right after copying the WAL to its end, or before scanning, or (moved) right after a sync has
 * copied the WAL to its end, the old pin still held. From then on no checkpoint can copy frames
 * past the pin's read mark, and a WAL restart needs every frame copied into the database; so a
 * restart can only happen once every frame of the old generation is one we already hold. For a
 * pin with read mark 0 (taken when every frame was in the database): no frame appended after it
 * can be copied into the database while it is held, so the WAL can be restarted only if nothing
 * was appended. With any other read mark no restart can happen while it is held. Once the pin
 * was let go, a new generation is not followed but caught up with from the database file; frames
 * read under a pin taken after the fact are trusted only if the WAL header is unchanged after
 * reading them (SQLite writes a new generation's header before its frames). Not thread-safe: one
 * sync loop owns it.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());
    /**
     * The most bytes of new WAL frames read into memory under the barrier; a larger tail is
     * copied without it first. Reading it takes a few milliseconds from the page cache.
     */
    static final long MAX_CAPTURED_BYTES = 16L << 20;
    /** Times the barrier is raised and let go for work to do without it before a checkpoint is skipped. */
    private static final int BARRIER_ATTEMPTS = 3;
    /** Checkpoints up to the pin before the barrier, while more than SMALL_TAIL_FRAMES are left. */
    private static final int EARLY_CHECKPOINT_ROUNDS = 3;
    private static final int SMALL_TAIL_FRAMES = 64;

    private final Path path;
    private final Path walPath;
    private final DatabaseOptions options;
    private final Clock clock;
    private final LocalLtxStore store;
    private SqliteLocks locks;
    private ImageFiles images;
    /**
     * The database file, opened once and closed only after SQLite's connections: closing any
     * descriptor of a file drops every POSIX lock this process holds on it, SQLite's included,
     * which would let another process think it is the last connection and delete the WAL.
     */
    private FileChannel dbFile;
    private int pageSize;
    private PageChecksums pages;

    /** TXID of the newest local file; 0 before the first. */
    private volatile long txid; // written by the sync loop, read by metrics and status threads
    /** Database checksum after the newest file; 0 when unknown (a file without checksums). */
    private long postApply;
    private int salt1;
    private int salt2;
    /** WAL offset just past the frames copied so far, and the running WAL checksum there. */
    private long walEnd;
    private long walChecksum;
    private boolean haveWalPosition;
    /**
     * True from a resume until the first sync has reached the end of the WAL generation the local
     * files came from. Until then a new generation may hide frames we never saw, so it costs a
     * snapshot; after it, every frame of the generation is ours and a restart is safe to follow.
     */
    private boolean unverifiedGeneration;
    private boolean needSnapshot;
    private long lastCheckpointMillis;
    private boolean changedSinceCheckpoint;
    /** Where our last checkpoint left the WAL (generation and offset): frames after it are new. */
    private int checkpointSalt1;
    private int checkpointSalt2;
    private long checkpointEnd;
    /**
     * True while the pin has been held without a break since our newest file was made: then the
     * WAL cannot have been restarted over a frame we did not copy (see the class comment), and a
     * new generation is followed from its first frame. False once we let go of the pin: a restart
     * may then have taken frames we never saw, which only the database file still holds.
     */
    private boolean pinCoversCopied;
    /**
     * Keep the pin through a sync that finds nothing new: it was taken when every WAL frame was in
     * the database (after our complete checkpoint, or with no WAL), so SQLite gave it read mark 0,
     * which lets every checkpoint of the application through until new frames come, and a WAL
     * restarted meanwhile can be followed from its first frame without reading the database.
     */
    private boolean keepPinWhenQuiet;
    private long catchUpCount;
    private volatile long checkpointCount;
    private ReplicationEvents events = ReplicationEvents.NONE;
    private Runnable beforeBarrier = () -> {};

    private Database(Path path, DatabaseOptions options, Clock clock) {
        this.path = path.toAbsolutePath();
        this.walPath = this.path.resolveSibling(this.path.getFileName() + "-wal");
        this.options = options;
        this.clock = clock;
        Path meta = options.metaPath() != null ? options.metaPath() : LocalLtxStore.defaultMetaDir(this.path);
        this.store = new LocalLtxStore(meta);
    }

    /** What the replicas hold, so the TXID sequence continues from them. */
    public record ReplicaState(long maxTxid, long postApplyChecksum) {
        public static final ReplicaState EMPTY = new ReplicaState(0, 0);
    }

    /**
     * Opens the database and decides where replication continues: from the local files if they
     * still match the WAL, else with a snapshot at the next TXID after both the local files and
     * the replicas.
     */
    public static Database open(Path path, DatabaseOptions options, Clock clock, ReplicaState replica) throws IOException {
        Database db = new Database(path, options, clock);
        try {
            db.start(replica);
            return db;
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public Path walPath() {
        return walPath;
    }

    /** The local state directory, {@code .<name>-litestream} by default. */
    public Path metaDir() {
        return store.dir().getParent().getParent();
    }

    /** The directory of local L0 files. */
    public Path localLtxDir() {
        return store.dir();
    }

    LocalLtxStore store() {
        return store;
    }

    /**
     * The TXID of the newest local file of the database at {@code db} without opening it (for
     * {@code status}); empty if it was never replicated from here.
     */
    public static java.util.OptionalLong localTxid(Path db, DatabaseOptions options) throws IOException {
        Path abs = db.toAbsolutePath();
        LocalLtxStore store = new LocalLtxStore(options.metaPath() != null ? options.metaPath() : LocalLtxStore.defaultMetaDir(abs));
        List<io.litestream4j.ltx.TxidRange> files = store.list();
        return files.isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(files.getLast().max());
    }

    /** TXID of the newest local file. */
    public long txid() {
        return txid;
    }

    public int pageSize() {
        return pageSize;
    }

    /** Where checkpoints are reported. */
    void events(ReplicationEvents e) {
        this.events = e;
    }

    /** Checkpoints this replicator has run. */
    public long checkpointCount() {
        return checkpointCount;
    }

    private void start(ReplicaState replica) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "database does not exist");
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("database %s: not a regular file".formatted(path));
        }
        dbFile = FileChannel.open(path, StandardOpenOption.READ);
        DatabaseImage.checkIsDatabase(path, dbFile);
        locks = SqliteLocks.open(path, options.busyTimeout());
        pageSize = locks.pageSize();
        images = new ImageFiles(path, walPath, dbFile, pageSize, store, clock);
        store.open();
        Optional<LocalLtxStore.Last> last = readLocalState();
        long localTxid = last.map(l -> l.range().max()).orElse(0L);
        if (last.isPresent() && Long.compareUnsigned(replica.maxTxid(), localTxid) > 0) {
            throw new IOException(("database %s: the replica holds TXID %s but local state ends at %s: another replicator is "
                    + "probably writing to the same replica; stop it, or give this database a replica of its own")
                    .formatted(path, Txid.format(replica.maxTxid()), Txid.format(localTxid)));
        }
        if (last.isEmpty() && replica.maxTxid() != 0) {
            txid = replica.maxTxid();
            postApply = replica.postApplyChecksum();
            LOG.log(System.Logger.Level.INFO, "{0}: no local state; continuing the replica''s TXID sequence after {1}", path, Txid.format(txid));
        }
        // Pin first, then check: from here on the WAL can be restarted only once everything in it
        // was copied into the database, and the first sync refuses to follow such a restart (see
        // unverifiedGeneration), so nothing between the check and that sync can be lost.
        locks.pin();
        pinCoversCopied = true;
        boolean resumed = last.isPresent() && resume(last.get());
        if (resumed) {
            LOG.log(System.Logger.Level.INFO, "{0}: resuming after TXID {1} at WAL offset {2}", path, Txid.format(txid), walEnd);
            pages = images.checksums();
        } else if (txid != 0 && postApply != 0 && databaseFileMatchesReplica()) {
            LOG.log(System.Logger.Level.INFO, "{0}: database file matches TXID {1} (checksum {2}); continuing without a snapshot", path,
                    Txid.format(txid), Checksums.format(postApply));
            pages = images.checksums();
        } else if (txid == 0) {
            LOG.log(System.Logger.Level.INFO, "{0}: first snapshot follows (nothing replicated before)", path);
            needSnapshot = true;
        } else {
            LOG.log(System.Logger.Level.INFO, "{0}: the database changed since TXID {1} was replicated (or it cannot be told); a snapshot follows",
                    path, Txid.format(txid));
            needSnapshot = true;
        }
        lastCheckpointMillis = clock.millis();
    }

    private Optional<LocalLtxStore.Last> readLocalState() throws IOException {
        try {
            return store.last();
        } catch (LtxFormatException e) {
            long highest = store.list().isEmpty() ? 0 : store.list().getLast().max();
            LOG.log(System.Logger.Level.WARNING, "{0}: newest local file is unreadable ({1}); a snapshot follows TXID {2}",
                    path, e.getMessage(), Txid.format(highest));
            txid = highest;
            return Optional.empty();
        }
    }

    /** Continues from the newest local file if the WAL is still the generation it copied, through its end. */
    private boolean resume(LocalLtxStore.Last last) throws IOException {
        txid = last.range().max();
        postApply = last.trailer().postApplyChecksum();
        LtxHeader h = last.header();
        if (h.pageSize() != pageSize || h.walOffset() == 0) {
            return false;
        }
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<WalHeader> header = WalScanner.readHeader(wal);
            if (header.isEmpty() || !header.get().sameGeneration(h.walSalt1(), h.walSalt2())) {
                LOG.log(System.Logger.Level.INFO, "{0}: the WAL was restarted while replication was stopped", path);
                return false;
            }
            WalSegment all = WalScanner.scan(wal, header.get(), WalHeader.SIZE, header.get().checksum());
            Optional<Long> sum = WalScanner.checksumBefore(wal, header.get(), last.walEnd());
            if (all.end() < last.walEnd() || sum.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "{0}: the WAL no longer holds the frames replicated last", path);
                return false;
            }
            salt1 = h.walSalt1();
            salt2 = h.walSalt2();
            walEnd = last.walEnd();
            walChecksum = sum.get();
            haveWalPosition = true;
            unverifiedGeneration = true;
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * True if the database file alone is exactly the state of the newest replicated TXID, as
     * after a restore or when SQLite checkpointed and removed the WAL at the last close. Then
     * every frame in the WAL came later, and the next sync copies the WAL from its start instead
     * of uploading the whole database again. Runs under the pin, which keeps the WAL from being
     * restarted until that sync.
     */
    private boolean databaseFileMatchesReplica() throws IOException {
        if (images.fileChecksum() != postApply) {
            return false;
        }
        haveWalPosition = false;
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<WalHeader> header = WalScanner.readHeader(wal);
            if (header.isPresent()) {
                // The first sync must still find this generation, or it snapshots (see unverifiedGeneration).
                salt1 = header.get().salt1();
                salt2 = header.get().salt2();
                unverifiedGeneration = true;
            }
        } catch (NoSuchFileException e) {
            unverifiedGeneration = false;
        }
        return true;
    }

    /** The next sync writes a file holding every page (a replica needs a new snapshot). Sync-loop thread only. */
    void requestSnapshot() {
        needSnapshot = true;
    }

    /** The outcome of one sync: the TXIDs of the files it wrote (one file, or several after a backlog), and their pages. */
    public record SyncResult(Optional<TxidRange> written, int pageCount) {
        static final SyncResult NOTHING = new SyncResult(Optional.empty(), 0);

        /** This result followed by {@code next}, the files written after it. */
        SyncResult then(SyncResult next) {
            if (written.isEmpty()) {
                return next;
            }
            if (next.written.isEmpty()) {
                return this;
            }
            return new SyncResult(Optional.of(new TxidRange(written.get().min(), next.written.get().max())), pageCount + next.pageCount);
        }
    }

    /**
     * Copies newly committed WAL frames into the next L0 file (or writes a snapshot if one is due,
     * or the changed pages if the WAL was restarted over frames we never saw). Takes the pin first
     * if it is not held; lets go of it when nothing new was found, so the application's
     * checkpoints of every mode, RESTART and TRUNCATE included, never wait for frames we already
     * hold; while something was found the pin is moved to the end of what was copied.
     */
    public SyncResult sync() throws IOException {
        SyncResult r = syncPinned();
        if (r.written().isEmpty() && !keepPinWhenQuiet) {
            releasePin();
        }
        return r;
    }

    /** True while the pin is held at a point that could hold back a checkpoint: the sync loop should look again soon. */
    public boolean waitsForQuiet() {
        return locks.pinned() && !keepPinWhenQuiet;
    }

    /** Whether our read transaction is held (for tests). */
    boolean pinned() {
        return locks.pinned();
    }

    /** Catch-ups written: L0 files made from the database file after the WAL was restarted behind our back. */
    public long catchUpCount() {
        return catchUpCount;
    }

    private void releasePin() throws IOException {
        locks.unpin();
        pinCoversCopied = false;
    }

    /** {@link #sync}, leaving the pin held. */
    private SyncResult syncPinned() throws IOException {
        boolean gapPossible = !pinCoversCopied;
        locks.pin();
        SyncResult r = needSnapshot ? snapshot() : copyNewFrames(gapPossible);
        pinCoversCopied = true;
        if (r.written().isPresent()) {
            // Right after a sync, safe (see the class comment); a pin at the newest frame holds
            // back no frame of an application's PASSIVE or FULL checkpoint.
            keepPinWhenQuiet = false;
            locks.movePin();
        }
        return r;
    }

    /**
     * Copies the committed frames past our position, as one L0 file per max-sync-wal-bytes of WAL
     * (at commit boundaries): a backlog larger than that becomes several files, each indexed and
     * encoded on its own, so neither a file nor the memory to index it grows with the backlog.
     */
    private SyncResult copyNewFrames(boolean gapPossible) throws IOException {
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<WalHeader> header = WalScanner.readHeader(wal);
            // After a resume the page table is not our newest TXID's (see unverifiedGeneration).
            if (gapPossible && !unverifiedGeneration && !isCopiedGeneration(header)) {
                return catchUp();
            }
            long limit = options.syncWalLimit();
            SyncResult copied = SyncResult.NOTHING;
            while (true) {
                boolean pagesAtOurTxid = !unverifiedGeneration;
                Optional<NewFrames> found = scanNewFrames(wal, header, limit);
                if (needSnapshot) {
                    return copied.then(snapshot());
                }
                if (found.isEmpty()) {
                    if (copied.written().isEmpty()) {
                        keepPinWhenQuiet |= header.isEmpty(); // no WAL frames under the pin: it has read mark 0
                    }
                    return copied;
                }
                WalSegment segment = found.get().segment();
                try {
                    copied = copied.then(writeIncrement(found.get().header(), segment, pagesInWal(wal, segment),
                            () -> ImageFiles.checkSameGeneration(walPath, wal, found.get().header())));
                } catch (ImageFiles.WalRestartedException e) {
                    // Only possible with a pin taken after frames we had not copied yet, at read mark
                    // 0: the WAL was restarted, and those frames are in the database file now.
                    return copied.then(pagesAtOurTxid ? catchUp() : snapshot());
                }
                if (segment.end() - segment.start() < limit) {
                    return copied; // the scan reached the WAL's end, not the limit
                }
            }
        } catch (NoSuchFileException e) {
            if (gapPossible && !unverifiedGeneration && haveWalPosition) {
                return catchUp();
            }
            keepPinWhenQuiet = true; // no WAL under the pin: it has read mark 0
            return SyncResult.NOTHING;
        }
    }

    /** True if {@code header} is the generation we copied from, or there is none and we had none. */
    private boolean isCopiedGeneration(Optional<WalHeader> header) {
        return header.isPresent() ? haveWalPosition && header.get().sameGeneration(salt1, salt2) : !haveWalPosition;
    }

    /**
     * The WAL was restarted or truncated while we were not holding the pin, so frames we never
     * copied may have gone into the database file: writes the pages that differ from our
     * per-page checksums as the next TXID ({@link ImageFiles#catchUp}).
     */
    private SyncResult catchUp() throws IOException {
        ImageFiles.Outcome o;
        try {
            o = images.catchUp(txid, postApply, pages);
        } catch (ImageFiles.WalRestartedException e) {
            throw e; // the page table is untouched
        } catch (IOException | RuntimeException e) {
            needSnapshot = true; // the page table may hold part of the changes
            throw e;
        }
        keepPinWhenQuiet = o.range().isEmpty() && o.wal().header().isEmpty();
        if (o.range().isPresent()) {
            catchUpCount++;
        }
        return took(o);
    }

    /** Takes the outcome of a file made from the whole image as our position. */
    private SyncResult took(ImageFiles.Outcome o) {
        pages = o.pages();
        setWalPosition(o.wal().header(), o.wal().all());
        if (o.range().isEmpty()) {
            return SyncResult.NOTHING;
        }
        txid = o.range().get().max();
        postApply = o.postApply();
        changedSinceCheckpoint = true;
        return new SyncResult(o.range(), o.pageCount());
    }

    /** Our WAL position after reading the whole of {@code all} (or, without a header, none). */
    private void setWalPosition(Optional<WalHeader> header, WalSegment all) {
        if (header.isPresent()) {
            salt1 = header.get().salt1();
            salt2 = header.get().salt2();
            walEnd = all.isEmpty() ? WalHeader.SIZE : all.end();
            walChecksum = all.isEmpty() ? header.get().checksum() : all.endChecksum();
            haveWalPosition = true;
        } else {
            haveWalPosition = false;
        }
    }

    /** Committed frames past our position: the WAL's header and where their pages are. */
    private record NewFrames(WalHeader header, WalSegment segment) {}

    /**
     * Scans the WAL past our position. Returns empty, with {@link #needSnapshot} set, when the WAL
     * was restarted before a resumed replicator caught up with it.
     */
    private Optional<NewFrames> scanNewFrames(FileChannel wal, Optional<WalHeader> header, long maxBytes) throws IOException {
        if (header.isEmpty()) {
            return Optional.empty();
        }
        WalHeader h = header.get();
        if (h.pageSize() != pageSize) {
            throw new IOException("database %s: WAL page size %d differs from the database's %d".formatted(path, h.pageSize(), pageSize));
        }
        long start = walEnd;
        long checksum = walChecksum;
        if (unverifiedGeneration && !h.sameGeneration(salt1, salt2)) {
            LOG.log(System.Logger.Level.INFO, "{0}: the WAL was restarted before replication caught up; taking a snapshot", path);
            unverifiedGeneration = false;
            needSnapshot = true;
            return Optional.empty();
        }
        if (!haveWalPosition || !h.sameGeneration(salt1, salt2)) {
            // A new generation began after everything in the old one was copied (see class comment).
            start = WalHeader.SIZE;
            checksum = h.checksum();
        }
        WalSegment segment = WalScanner.scan(wal, h, start, checksum, maxBytes);
        unverifiedGeneration = false;
        return segment.isEmpty() ? Optional.empty() : Optional.of(new NewFrames(h, segment));
    }

    /** Page {@code i} of a segment (in the order of its page numbers). */
    @FunctionalInterface
    private interface SegmentPages {
        byte[] page(int i) throws IOException;
    }

    private SegmentPages pagesInWal(FileChannel wal, WalSegment segment) {
        byte[] buffer = new byte[pageSize];
        return i -> {
            WalScanner.readPage(wal, segment.frameOffsets()[i], buffer);
            return buffer;
        };
    }

    /** Pages of a segment within the database's size after its last commit (page numbers increase). */
    private static int committedPages(WalSegment segment) {
        int n = 0;
        while (n < segment.pgnos().length && segment.pgnos()[n] <= segment.commit()) {
            n++;
        }
        return n;
    }

    /** A check run after a file's pages were read and before the page table takes them. */
    @FunctionalInterface
    private interface ReadCheck {
        void verify() throws IOException;
    }

    private SyncResult writeIncrement(WalHeader h, WalSegment segment, SegmentPages source) throws IOException {
        return writeIncrement(h, segment, source, () -> {});
    }

    private SyncResult writeIncrement(WalHeader h, WalSegment segment, SegmentPages source, ReadCheck pagesWereIntact) throws IOException {
        long next = txid + 1;
        long pre = postApply;
        boolean checksummed = pre != 0;
        LtxHeader header = new LtxHeader(checksummed ? 0 : LtxHeader.FLAG_NO_CHECKSUM, pageSize, segment.commit(), next, next,
                clock.millis(), pre, segment.start(), segment.end() - segment.start(), h.salt1(), h.salt2(), 0);
        TxidRange range = new TxidRange(next, next);
        int[] pgnos = segment.pgnos();
        int n = committedPages(segment);
        long[] sums = new long[n];
        try {
            AtomicFiles.write(store.path(range), out -> {
                LtxEncoder enc = new LtxEncoder(out, header, store.path(range).toString());
                for (int i = 0; i < n; i++) {
                    byte[] page = source.page(i);
                    sums[i] = Checksums.page(pgnos[i], page);
                    enc.writePage(pgnos[i], page);
                }
                pagesWereIntact.verify();
                pages.resize(segment.commit());
                for (int i = 0; i < n; i++) {
                    pages.set(pgnos[i], sums[i]);
                }
                return enc.finish(checksummed ? pages.value() : 0);
            });
        } catch (ImageFiles.WalRestartedException e) {
            throw e; // the page table is untouched: the check runs before it takes the pages
        } catch (IOException | RuntimeException e) {
            // The page table may hold part of this file's changes: rebuild it with a snapshot.
            needSnapshot = true;
            throw e;
        }
        txid = next;
        postApply = pages.value();
        salt1 = h.salt1();
        salt2 = h.salt2();
        walEnd = segment.end();
        walChecksum = segment.endChecksum();
        haveWalPosition = true;
        changedSinceCheckpoint = true;
        return new SyncResult(Optional.of(range), n);
    }

    /**
     * Writes the whole database as the next TXID ({@link ImageFiles#snapshot}), under the pin, so
     * it is one point in time, and the WAL frames after that point follow as the next TXIDs.
     */
    private SyncResult snapshot() throws IOException {
        locks.pin();
        SyncResult r = took(images.snapshot(txid, postApply));
        needSnapshot = false;
        unverifiedGeneration = false;
        return r;
    }

    /**
     * Milliseconds until the time-based checkpoint falls due (0 if it is due), or
     * {@link Long#MAX_VALUE} when no change since the last checkpoint waits for one.
     */
    public long millisUntilTimedCheckpoint() {
        if (!changedSinceCheckpoint || framesSinceCheckpoint() == 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, lastCheckpointMillis + options.checkpointInterval().toMillis() - clock.millis());
    }

    /**
     * Checkpoints if the WAL has grown past a threshold or the interval has passed since the
     * last one with changes in between: PASSIVE under the barrier after copying the WAL's tail,
     * or TRUNCATE far past its threshold, followed by a catch-up from the database file because
     * frames committed between the copy and the truncation cannot be told apart afterwards.
     *
     * @return true if a checkpoint ran
     */
    public boolean checkpointIfNeeded() throws IOException {
        long walFrames = walFrames();
        long newFrames = framesSinceCheckpoint();
        boolean dueByTime = changedSinceCheckpoint && clock.millis() - lastCheckpointMillis >= options.checkpointInterval().toMillis();
        if (options.truncatePageN() > 0 && walFrames >= options.truncatePageN()) {
            long start = System.nanoTime();
            try {
                truncateCheckpoint();
            } catch (IOException | RuntimeException e) {
                events.checkpointed(path, "TRUNCATE", System.nanoTime() - start, false);
                throw e;
            }
            events.checkpointed(path, "TRUNCATE", System.nanoTime() - start, true);
            return true;
        }
        if (newFrames >= options.minCheckpointPageCount() || (dueByTime && newFrames > 0)) {
            long start = System.nanoTime();
            try {
                passiveCheckpoint();
                events.checkpointed(path, "PASSIVE", System.nanoTime() - start, true);
                return true;
            } catch (SqliteLocks.BusyException e) {
                // Writers held the lock for the whole busy timeout; the next round tries again,
                // and a WAL that keeps growing ends in a TRUNCATE, which needs no barrier.
                LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint skipped, database busy", path);
                return false;
            } catch (IOException | RuntimeException e) {
                events.checkpointed(path, "PASSIVE", System.nanoTime() - start, false);
                throw e;
            }
        }
        return false;
    }

    /**
     * PASSIVE checkpoint with nothing committed between copying the WAL tail and checkpointing.
     * Writers wait only for the tail to be read into memory and for SQLite to checkpoint it; the
     * tail's L0 file is written after. A crash before that file is written costs a snapshot at the
     * next start (the WAL may have been restarted past frames of ours), never data.
     *
     * @return true if every WAL frame was copied into the database
     */
    public boolean passiveCheckpoint() throws IOException {
        for (int attempt = 1; ; attempt++) {
            SqliteLocks.CheckpointResult early = checkpointUpToPin();
            beforeBarrier.run();
            try {
                locks.raiseBarrier();
            } catch (SqliteLocks.BusyException e) {
                // Someone held the write lock throughout, perhaps an application checkpoint waiting
                // for our pin: let go of it.
                releasePin();
                throw e;
            }
            long raised = System.nanoTime();
            Capture capture = Capture.NOTHING;
            SqliteLocks.CheckpointResult result = null;
            try {
                try {
                    capture = captureNewFrames();
                    if (!(capture instanceof Capture.WorkOutside)) {
                        result = locks.checkpoint("PASSIVE");
                    }
                } finally {
                    locks.lowerBarrier();
                }
            } finally {
                // Written even if the checkpoint failed: the frames are committed, and the WAL may be
                // restarted over them as soon as writers go on.
                if (capture instanceof Capture.Frames t) {
                    writeIncrement(t.header(), t.segment(), i -> t.pages()[i]);
                }
            }
            long blockedMicros = (System.nanoTime() - raised) / 1000;
            if (capture instanceof Capture.WorkOutside w) {
                // Nothing was taken under the barrier: the next attempt does the work first, with writers going on.
                LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint PASSIVE: barrier let go after {1} us: {2} (attempt {3})",
                        path, blockedMicros, w.why(), attempt);
                if (attempt == BARRIER_ATTEMPTS) {
                    throw new SqliteLocks.BusyException(new IOException(("database %s: checkpoint: %s at each of %d attempts; "
                            + "trying again next round").formatted(path, w.why(), attempt)));
                }
                continue;
            }
            LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint PASSIVE: {1}, before the barrier {2}; writers blocked {3} us ({4} frames read under it)",
                    path, result, early, blockedMicros, capture instanceof Capture.Frames f ? f.pages().length : 0);
            // The pin was taken again under the barrier, after the tail was copied; with every frame
            // in the database it has read mark 0, harmless to the application's checkpoints.
            pinCoversCopied = true;
            keepPinWhenQuiet = result.complete();
            checkpointSalt1 = salt1;
            checkpointSalt2 = salt2;
            checkpointEnd = walEnd;
            checkpointCount++;
            lastCheckpointMillis = clock.millis();
            changedSinceCheckpoint = false;
            return result.complete();
        }
    }

    /**
     * Most of a checkpoint's work with writers running: copies the WAL, moves the pin to its end
     * (safe right after a sync, see the class comment), and lets SQLite copy the frames up to the
     * pin into the database. Writers commit more meanwhile, so again with those while they are
     * many; the barrier then covers only what was committed since.
     */
    private SqliteLocks.CheckpointResult checkpointUpToPin() throws IOException {
        SqliteLocks.CheckpointResult early;
        int round = 0;
        do {
            syncPinned();
            if (haveWalPosition) {
                locks.movePin();
            }
            early = locks.checkpointUpToPin();
            if (early.lockedOut()) {
                // Another connection held SQLite's checkpoint lock all the while: most likely the
                // application's FULL, RESTART or TRUNCATE checkpoint waiting for readers (a
                // PASSIVE one never waits). Let go of the WAL so it completes; ours can wait.
                releasePin();
                throw new SqliteLocks.BusyException(new IOException(
                        "database %s: checkpoint: another connection holds the checkpoint lock".formatted(path)));
            }
        } while (++round < EARLY_CHECKPOINT_ROUNDS && early.walFrames() - early.checkpointedFrames() > SMALL_TAIL_FRAMES);
        return early;
    }

    /** For tests: runs right before the barrier is raised, after the work done without it. */
    void beforeBarrier(Runnable r) {
        this.beforeBarrier = r;
    }

    /** What the barrier found: new frames read into memory, nothing new, or work to do without it first. */
    private sealed interface Capture {
        Capture NOTHING = new Nothing();

        record Nothing() implements Capture {}

        /** New frames read under the barrier, written as the next L0 file once writers may go on. */
        record Frames(WalHeader header, WalSegment segment, byte[][] pages) implements Capture {}

        /** A snapshot is due or the tail is too large to read under the barrier. */
        record WorkOutside(String why) implements Capture {}
    }

    /**
     * Under the barrier: reads the new frames' pages into memory, at most MAX_CAPTURED_BYTES of
     * WAL. Writes nothing: a snapshot that falls due or a larger tail is left for the work done
     * without the barrier (Litestream issue #1332: encoding and fsyncing under a lock that blocks
     * the application's writers stalled them for as long).
     */
    private Capture captureNewFrames() throws IOException {
        if (needSnapshot) {
            return new Capture.WorkOutside("a snapshot is due");
        }
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<NewFrames> found = scanNewFrames(wal, WalScanner.readHeader(wal), MAX_CAPTURED_BYTES);
            if (needSnapshot) {
                return new Capture.WorkOutside("a snapshot is due");
            }
            if (found.isEmpty()) {
                return Capture.NOTHING;
            }
            WalSegment segment = found.get().segment();
            if (segment.end() - segment.start() >= MAX_CAPTURED_BYTES) {
                return new Capture.WorkOutside("more than %d bytes of new WAL frames".formatted(MAX_CAPTURED_BYTES));
            }
            return new Capture.Frames(found.get().header(), segment, WalScanner.readPages(wal, segment, committedPages(segment), pageSize));
        } catch (NoSuchFileException e) {
            return Capture.NOTHING;
        }
    }

    private void truncateCheckpoint() throws IOException {
        syncPinned();
        SqliteLocks.CheckpointResult result = locks.checkpoint("TRUNCATE");
        // Frames committed between that sync and the truncation are in the database file only:
        // the next sync finds them by comparing pages (see catchUp).
        pinCoversCopied = false;
        keepPinWhenQuiet = false;
        checkpointCount++;
        LOG.log(System.Logger.Level.INFO, "{0}: checkpoint TRUNCATE: {1}; catching up from the database file", path, result);
        lastCheckpointMillis = clock.millis();
        changedSinceCheckpoint = false;
        sync();
    }

    /**
     * Committed frames in the current WAL generation, as far as we have copied them. Not the
     * file's size: SQLite reuses a restarted WAL file without shrinking it, so the size would
     * call for a checkpoint on every sync.
     */
    long walFrames() {
        return haveWalPosition ? (walEnd - WalHeader.SIZE) / (WalHeader.FRAME_HEADER_SIZE + pageSize) : 0;
    }

    /** Committed frames copied since our last checkpoint (all of them in a newer generation). */
    long framesSinceCheckpoint() {
        if (!haveWalPosition) {
            return 0;
        }
        long from = salt1 == checkpointSalt1 && salt2 == checkpointSalt2 ? checkpointEnd : WalHeader.SIZE;
        return Math.max(0, walEnd - from) / (WalHeader.FRAME_HEADER_SIZE + pageSize);
    }

    @Override
    public void close() {
        if (locks != null) {
            locks.close();
        }
        if (dbFile != null) {
            try {
                dbFile.close();
            } catch (IOException ignored) {
                // read-only descriptor: nothing to flush
            }
        }
    }
}
