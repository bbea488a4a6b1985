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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One replicated database: turns its WAL into L0 LTX files in the local store, one file per
 * {@link #sync}, and runs its checkpoints.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Every committed transaction ends up in exactly one L0 file, in commit order; TXIDs have no
 *       gaps. A WAL generation the replicator cannot prove it followed frame by frame (the WAL was
 *       restarted or truncated while it was not running) is replaced by a full snapshot as the
 *       next TXID, never guessed across.
 *   <li>Each file carries the database checksum before and after it (when the one before is
 *       known), kept current per page without re-reading the database.
 *   <li>Files are written atomically and durably ({@link AtomicFiles}); a crash at any point
 *       leaves the store at a file boundary, and the next start resumes from its newest file.
 *   <li>The application's writers are blocked only by the brief barrier around a checkpoint.
 * </ul>
 *
 * <p>Why following a new WAL generation while running is safe: the pin is taken either under
 * the barrier right after copying the WAL to its end, or before scanning a snapshot, or (moved)
 * right after a sync has copied the WAL to its end, the old pin still held. From then on no
 * checkpoint can copy frames past the pin's read mark, and a WAL restart needs every frame
 * copied into the database; so a restart can only happen once every frame of the old generation
 * is one we already hold. For a moved pin: SQLite gives it read mark 0, which allows a restart,
 * only when every frame is in the database; the old pin kept the copying from going past it,
 * and it was taken before the sync, so every such frame is one the sync copied. With any other
 * read mark no restart can happen while it is held. Not thread-safe: one sync loop owns it.
 */
public final class Database implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Database.class.getName());
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    /** The most bytes of new frames read into memory under the barrier; a larger tail is written there. */
    private static final long MAX_CAPTURED_BYTES = 16L << 20;
    /** Checkpoints up to the pin before the barrier, while more than SMALL_TAIL_FRAMES are left. */
    private static final int EARLY_CHECKPOINT_ROUNDS = 3;
    private static final int SMALL_TAIL_FRAMES = 64;

    private final Path path;
    private final Path walPath;
    private final DatabaseOptions options;
    private final Clock clock;
    private final LocalLtxStore store;
    private SqliteLocks locks;
    /**
     * The database file, opened once and closed only after SQLite's connections: closing any
     * descriptor of a file drops every POSIX lock this process holds on it, SQLite's included,
     * which would let another process think it is the last connection and delete the WAL.
     */
    private FileChannel dbFile;
    private int pageSize;
    private PageChecksums pages;

    /** TXID of the newest local file; 0 before the first. */
    private long txid;
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
    /** The WAL generation the pin was taken in (0, 0 at start: not known). */
    private int pinSalt1;
    private int pinSalt2;
    private volatile long checkpointCount;
    private ReplicationEvents events = ReplicationEvents.NONE;

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
        checkIsDatabase(path, dbFile);
        locks = SqliteLocks.open(path, options.busyTimeout());
        pageSize = locks.pageSize();
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
        boolean resumed = last.isPresent() && resume(last.get());
        if (resumed) {
            LOG.log(System.Logger.Level.INFO, "{0}: resuming after TXID {1} at WAL offset {2}", path, Txid.format(txid), walEnd);
            rebuildPageChecksums();
        } else if (txid != 0 && postApply != 0 && databaseFileMatchesReplica()) {
            LOG.log(System.Logger.Level.INFO, "{0}: database file matches TXID {1} (checksum {2}); continuing without a snapshot", path,
                    Txid.format(txid), Checksums.format(postApply));
            rebuildPageChecksums();
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
        PageChecksums fileOnly = new PageChecksums(pageSize);
        int commit = (int) (dbFile.size() / pageSize);
        fileOnly.resize(commit);
        DatabaseImage.forEachPage(dbFile, null, emptySegment(), pageSize, commit, (pgno, page) -> fileOnly.set(pgno, Checksums.page(pgno, page)));
        if (fileOnly.value() != postApply) {
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

    /** Computes every page's checksum from the database file and the WAL (under the pin). */
    private void rebuildPageChecksums() throws IOException {
        PageChecksums fresh = new PageChecksums(pageSize);
        FileChannel db = dbFile;
        try (FileChannel wal = Files.exists(walPath) ? FileChannel.open(walPath, StandardOpenOption.READ) : null) {
            Optional<WalHeader> header = wal == null ? Optional.empty() : WalScanner.readHeader(wal);
            WalSegment all = header.isPresent() ? WalScanner.scan(wal, header.get(), WalHeader.SIZE, header.get().checksum()) : emptySegment();
            int commit = all.isEmpty() ? (int) (db.size() / pageSize) : all.commit();
            fresh.resize(commit);
            DatabaseImage.forEachPage(db, wal, all, pageSize, commit, (pgno, page) -> fresh.set(pgno, Checksums.page(pgno, page)));
        }
        pages = fresh;
    }

    /** The next sync writes a file holding every page (a replica needs a new snapshot). Sync-loop thread only. */
    void requestSnapshot() {
        needSnapshot = true;
    }

    /** The outcome of one sync. */
    public record SyncResult(Optional<TxidRange> written, int pageCount) {
        static final SyncResult NOTHING = new SyncResult(Optional.empty(), 0);
    }

    /** Copies newly committed WAL frames into the next L0 file, or writes a snapshot if one is due. */
    public SyncResult sync() throws IOException {
        SyncResult r = needSnapshot ? snapshot() : copyNewFrames();
        if (r.written().isPresent() && haveWalPosition && (salt1 != pinSalt1 || salt2 != pinSalt2)) {
            // The pin is older than this WAL generation: it was most likely taken on a WAL fully
            // copied into the database (after our checkpoint), which makes SQLite give it the
            // read mark that stops all checkpoints. Now that the generation has frames we hold,
            // a new pin gets an ordinary read mark (see SqliteLocks.movePin).
            movePinToCopiedGeneration();
        }
        return r;
    }

    /** Moves the pin (right after a sync only: see the class comment) and notes its WAL generation. */
    private void movePinToCopiedGeneration() throws IOException {
        if (locks.movePin()) {
            pinSalt1 = salt1;
            pinSalt2 = salt2;
        }
    }

    private SyncResult copyNewFrames() throws IOException {
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<NewFrames> found = scanNewFrames(wal);
            if (needSnapshot) {
                return snapshot();
            }
            if (found.isEmpty()) {
                return SyncResult.NOTHING;
            }
            return writeIncrement(found.get().header(), found.get().segment(), pagesInWal(wal, found.get().segment()));
        } catch (NoSuchFileException e) {
            return SyncResult.NOTHING;
        }
    }

    /** Committed frames past our position: the WAL's header and where their pages are. */
    private record NewFrames(WalHeader header, WalSegment segment) {}

    /**
     * Scans the WAL past our position. Returns empty, with {@link #needSnapshot} set, when the WAL
     * was restarted before a resumed replicator caught up with it.
     */
    private Optional<NewFrames> scanNewFrames(FileChannel wal) throws IOException {
        Optional<WalHeader> header = WalScanner.readHeader(wal);
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
        WalSegment segment = WalScanner.scan(wal, h, start, checksum);
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

    private SyncResult writeIncrement(WalHeader h, WalSegment segment, SegmentPages source) throws IOException {
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
                pages.resize(segment.commit());
                for (int i = 0; i < n; i++) {
                    pages.set(pgnos[i], sums[i]);
                }
                return enc.finish(checksummed ? pages.value() : 0);
            });
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
     * Writes the whole database as the next TXID: a snapshot file (min TXID 1) for the first
     * TXID, else a file holding every page. Reads under the pin, so it is one point in time, and
     * the WAL frames after that point follow as the next TXIDs. Writers are never blocked.
     */
    private SyncResult snapshot() throws IOException {
        locks.pin();
        long next = txid + 1;
        FileChannel db = dbFile;
        try (FileChannel wal = Files.exists(walPath) ? FileChannel.open(walPath, StandardOpenOption.READ) : null) {
            Optional<WalHeader> header = wal == null ? Optional.empty() : WalScanner.readHeader(wal);
            WalSegment all = header.isPresent() ? WalScanner.scan(wal, header.get(), WalHeader.SIZE, header.get().checksum()) : emptySegment();
            int commit = all.isEmpty() ? (int) (db.size() / pageSize) : all.commit();
            boolean first = next == 1;
            boolean checksummed = first || postApply != 0;
            long walOffset = header.isPresent() ? WalHeader.SIZE : 0;
            long walSize = header.isPresent() && !all.isEmpty() ? all.end() - WalHeader.SIZE : 0;
            LtxHeader ltx = new LtxHeader(checksummed ? 0 : LtxHeader.FLAG_NO_CHECKSUM, pageSize, commit, first ? 1 : next, next,
                    clock.millis(), first ? 0 : postApply, walOffset, walSize,
                    header.map(WalHeader::salt1).orElse(0), header.map(WalHeader::salt2).orElse(0), 0);
            TxidRange range = new TxidRange(ltx.minTxid(), next);
            PageChecksums fresh = new PageChecksums(pageSize);
            fresh.resize(commit);
            AtomicFiles.write(store.path(range), out -> {
                LtxEncoder enc = new LtxEncoder(out, ltx, store.path(range).toString());
                DatabaseImage.forEachPage(db, wal, all, pageSize, commit, (pgno, page) -> {
                    fresh.set(pgno, Checksums.page(pgno, page));
                    enc.writePage(pgno, page);
                });
                return enc.finish(checksummed ? fresh.value() : 0);
            });
            pages = fresh;
            txid = next;
            postApply = fresh.value();
            needSnapshot = false;
            unverifiedGeneration = false;
            if (header.isPresent()) {
                salt1 = header.get().salt1();
                salt2 = header.get().salt2();
                walEnd = all.isEmpty() ? WalHeader.SIZE : all.end();
                walChecksum = all.isEmpty() ? header.get().checksum() : all.endChecksum();
                haveWalPosition = true;
            } else {
                haveWalPosition = false;
            }
            changedSinceCheckpoint = true;
            LOG.log(System.Logger.Level.INFO, "{0}: snapshot {1}: {2} pages", path, range, commit);
            return new SyncResult(Optional.of(range), commit);
        }
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
     * or TRUNCATE far past its threshold, followed by a snapshot because frames committed between
     * the copy and the truncation cannot be told apart afterwards.
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
        // Most of the work with writers running: copy the WAL, move the pin to its end (safe right
        // after a sync, see the class comment), and let SQLite copy the frames up to the pin into
        // the database. Writers commit more meanwhile, so again with those while they are many;
        // the barrier then covers only what was committed since.
        SqliteLocks.CheckpointResult early;
        int round = 0;
        do {
            sync();
            if (haveWalPosition) {
                movePinToCopiedGeneration();
            }
            early = locks.checkpointUpToPin();
        } while (++round < EARLY_CHECKPOINT_ROUNDS && early.walFrames() - early.checkpointedFrames() > SMALL_TAIL_FRAMES);
        locks.raiseBarrier();
        long raised = System.nanoTime();
        Optional<CapturedFrames> tail = Optional.empty();
        SqliteLocks.CheckpointResult result;
        try {
            try {
                tail = captureNewFrames();
                result = locks.checkpoint("PASSIVE");
            } finally {
                locks.lowerBarrier();
            }
            LOG.log(System.Logger.Level.DEBUG, "{0}: checkpoint PASSIVE: {1}, before the barrier {2} in {3} rounds; writers blocked {4} us ({5} frames read under it)",
                    path, result, early, round, (System.nanoTime() - raised) / 1000,
                    tail.map(t -> t.pages().length).orElse(0));
        } finally {
            // Written even if the checkpoint failed: the frames are committed, and the WAL may be
            // restarted over them as soon as writers go on.
            if (tail.isPresent()) {
                CapturedFrames t = tail.get();
                writeIncrement(t.header(), t.segment(), i -> t.pages()[i]);
            }
        }
        pinSalt1 = salt1;
        pinSalt2 = salt2;
        checkpointSalt1 = salt1;
        checkpointSalt2 = salt2;
        checkpointEnd = walEnd;
        checkpointCount++;
        lastCheckpointMillis = clock.millis();
        changedSinceCheckpoint = false;
        return result.complete();
    }

    /** New frames read under the barrier, written as the next L0 file once writers may go on. */
    private record CapturedFrames(WalHeader header, WalSegment segment, byte[][] pages) {}

    /** Under the barrier: reads the new frames' pages (or writes a snapshot or a large tail). */
    private Optional<CapturedFrames> captureNewFrames() throws IOException {
        if (needSnapshot) {
            snapshot();
            return Optional.empty();
        }
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<NewFrames> found = scanNewFrames(wal);
            if (needSnapshot) {
                snapshot();
                return Optional.empty();
            }
            if (found.isEmpty()) {
                return Optional.empty();
            }
            WalSegment segment = found.get().segment();
            int n = committedPages(segment);
            if ((long) n * pageSize > MAX_CAPTURED_BYTES) {
                writeIncrement(found.get().header(), segment, pagesInWal(wal, segment));
                return Optional.empty();
            }
            return Optional.of(new CapturedFrames(found.get().header(), segment, WalScanner.readPages(wal, segment, n, pageSize)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private void truncateCheckpoint() throws IOException {
        sync();
        SqliteLocks.CheckpointResult result = locks.checkpoint("TRUNCATE");
        pinSalt1 = salt1;
        pinSalt2 = salt2;
        checkpointCount++;
        LOG.log(System.Logger.Level.INFO, "{0}: checkpoint TRUNCATE: {1}; taking a snapshot", path, result);
        lastCheckpointMillis = clock.millis();
        changedSinceCheckpoint = false;
        needSnapshot = true;
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

    private static WalSegment emptySegment() {
        return new WalSegment(WalHeader.SIZE, WalHeader.SIZE, 0, 0, new int[0], new long[0]);
    }

    /**
     * Fails with a clear message unless {@code path} is a SQLite database file (or empty), reading
     * through {@code db}, the descriptor that stays open (see {@link #dbFile}).
     */
    static void checkIsDatabase(Path path, FileChannel db) throws IOException {
        if (db.size() == 0) {
            return;
        }
        java.nio.ByteBuffer magic = java.nio.ByteBuffer.allocate(SQLITE_MAGIC.length);
        while (magic.hasRemaining() && db.read(magic, magic.position()) > 0) {
            // read the header's first bytes
        }
        if (magic.hasRemaining() || !Arrays.equals(magic.array(), SQLITE_MAGIC)) {
            throw new IOException("database %s: not a SQLite database (the file does not start with \"SQLite format 3\")".formatted(path));
        }
    }
}
