package io.litestream4j.core;

import io.litestream4j.ReplicationEvents;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalScanner;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.PageChecksums;
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
import java.util.OptionalLong;

/**
 * One replicated database: turns its WAL into L0 LTX files in the local store, one file per
 * {@link #sync} (or one per max-sync-wal-bytes of a backlog), and runs its checkpoints. It holds
 * the sync state (TXID, page checksums, {@link WalPosition}, the pin); {@link ResumePlanner}
 * decides where a start continues, {@link L0Writer} writes the files, {@link Checkpointer} runs
 * the checkpoints that {@link CheckpointPolicy} calls for.
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
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(Database.class);
    /**
     * The most bytes of new WAL frames read into memory under the barrier; a larger tail is
     * copied without it first. Reading it takes a few milliseconds from the page cache.
     */
    static final long MAX_CAPTURED_BYTES = 16L << 20;

    private final Path path;
    private final Path walPath;
    private final DatabaseOptions options;
    private final Clock clock;
    private final LocalLtxStore store;
    private SqliteLocks locks;
    private ImageFiles images;
    private L0Writer l0;
    private Checkpointer checkpointer;
    /**
     * The database file's descriptor, from {@link DatabaseFiles}: closing any descriptor of a file
     * drops every POSIX lock this process holds on it, SQLite's included (the application's too,
     * in a library), which would let another process think it is the last connection and delete
     * the WAL. Let go of only after our own connections are closed.
     */
    private DatabaseFiles.Handle dbFile;
    private int pageSize;
    private PageChecksums pages;

    /** TXID of the newest local file; 0 before the first. */
    private volatile long txid; // written by the sync loop, read by metrics and status threads
    /** Database checksum after the newest file; 0 when unknown (a file without checksums). */
    private long postApply;
    /** Just past the frames copied so far; null when we hold no position in a WAL. */
    private WalPosition position;
    /**
     * From a resume until the first sync has reached the end of the WAL generation the local
     * files came from: that generation (only its salts count). Until then a new generation may
     * hide frames we never saw, so it costs a snapshot; after it, every frame of the generation
     * is ours and a restart is safe to follow. Null once verified.
     */
    private WalPosition unverified;
    private boolean needSnapshot;
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
    /** Times our connections were released; read by other threads (tests, status). */
    private volatile long releaseCount;
    private ReplicationEvents events = ReplicationEvents.NONE;

    private Database(Path path, DatabaseOptions options, Clock clock) {
        this.path = path.toAbsolutePath();
        this.walPath = this.path.resolveSibling(this.path.getFileName() + "-wal");
        this.options = options;
        this.clock = clock;
        Path meta = metaDir(this.path, options);
        this.store = new LocalLtxStore(meta);
    }

    /** What the replicas hold, so the TXID sequence continues from them. */
    public record ReplicaState(long maxTxid, long postApplyChecksum) {
        public static final ReplicaState EMPTY = new ReplicaState(0, 0);
    }

    /**
     * Opens the database and decides where replication continues ({@link ResumePlanner}): from
     * the local files if they still match the WAL, else with a snapshot at the next TXID after
     * both the local files and the replicas.
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

    /** The clock this database's files are stamped with (and its followers sleep by). */
    Clock clock() {
        return clock;
    }

    public Path walPath() {
        return walPath;
    }

    /** The local state directory, {@code .<name>-litestream} by default. */
    public Path metaDir() {
        return store.dir().getParent().getParent();
    }

    /** Where {@code db}'s local state lives with {@code options}: its meta-path, else {@code <dir>/.<file name>-litestream}. */
    public static Path metaDir(Path db, DatabaseOptions options) {
        return options.metaPath() != null ? options.metaPath() : LocalLtxStore.defaultMetaDir(db);
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
    public static OptionalLong localTxid(Path db, DatabaseOptions options) throws IOException {
        Path abs = db.toAbsolutePath();
        LocalLtxStore store = new LocalLtxStore(metaDir(abs, options));
        List<TxidRange> files = store.list();
        return files.isEmpty() ? OptionalLong.empty() : OptionalLong.of(files.getLast().max());
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
        events = e;
        checkpointer.events(e);
    }

    /** Checkpoints this replicator has run. */
    public long checkpointCount() {
        return checkpointer.checkpointCount();
    }

    private void start(ReplicaState replica) throws IOException {
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "database does not exist");
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("database %s: not a regular file".formatted(path));
        }
        dbFile = DatabaseFiles.open(path);
        DatabaseImage.checkIsDatabase(path, dbFile.channel());
        locks = SqliteLocks.open(path, options.busyTimeout());
        pageSize = locks.pageSize();
        images = new ImageFiles(path, walPath, dbFile.channel(), pageSize, store, clock);
        l0 = new L0Writer(store, pageSize, clock);
        store.open();
        ResumePlanner planner = new ResumePlanner(path, walPath, pageSize, store, images);
        ResumePlanner.Sequence sequence = planner.sequence(replica);
        // Pin first, then plan (see ResumePlanner#plan).
        locks.pin();
        pinCoversCopied = true;
        ResumePlanner.Plan plan = planner.plan(sequence);
        txid = plan.txid();
        postApply = plan.postApply();
        position = plan.position().orElse(null);
        unverified = plan.unverified().orElse(null);
        needSnapshot = plan.kind() == ResumePlanner.Kind.SNAPSHOT;
        if (!needSnapshot) {
            pages = images.checksums();
        }
        checkpointer = new Checkpointer(this, locks, pageSize, CheckpointPolicy.of(options), clock);
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

    void releasePin() throws IOException {
        locks.unpin();
        pinCoversCopied = false;
    }

    /** Whether the WAL holds more than its header (possibly frames of a generation already checkpointed). */
    private boolean walHasFrames() throws IOException {
        try {
            return Files.size(walPath) > WalHeader.SIZE;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Where our copy of the WAL stands; null when we hold no position in a WAL. */
    WalPosition position() {
        return position;
    }

    /** {@link #sync}, leaving the pin held. */
    SyncResult syncPinned() throws IOException {
        reconnect();
        boolean gapPossible = !pinCoversCopied;
        locks.pin();
        if (!locks.tablesExist() && walHasFrames()) {
            // The database is being written: the tables' commit joins its WAL without fsyncs of its
            // own (SqliteLocks#createTablesIfMissing), and goes out with the frames copied next.
            locks.createTablesIfMissing();
        }
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
            // After a resume the page table is not our newest TXID's (see unverified).
            if (gapPossible && unverified == null && !isCopiedGeneration(header)) {
                return catchUp();
            }
            long limit = options.syncWalLimit();
            SyncResult copied = SyncResult.NOTHING;
            while (true) {
                boolean pagesAtOurTxid = unverified == null;
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
            // No WAL now, and none or another at our last copy: one may have come and gone meanwhile.
            if (gapPossible && unverified == null) {
                return catchUp();
            }
            keepPinWhenQuiet = true; // no WAL under the pin: it has read mark 0
            return SyncResult.NOTHING;
        }
    }

    /**
     * True if {@code header} is the generation we copied from. Never when we hold no position (no
     * WAL frame at our last copy): the WAL there now, with frames or empty, may be a second one,
     * made after the application committed into one that its last connection's close then
     * checkpointed and deleted while we held no connection; only the database file tells.
     */
    private boolean isCopiedGeneration(Optional<WalHeader> header) {
        return header.isPresent() && position != null && position.sameGeneration(header.get());
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
        position = WalPosition.afterAll(o.wal().header(), o.wal().all()).orElse(null);
        if (o.range().isEmpty()) {
            return SyncResult.NOTHING;
        }
        txid = o.range().get().max();
        postApply = o.postApply();
        checkpointer.fileWritten();
        return new SyncResult(o.range(), o.pageCount());
    }

    /** Committed frames past our position: the WAL's header and where their pages are. */
    private record NewFrames(WalHeader header, WalSegment segment) {}

    /**
     * Scans the WAL past our position, at most {@code maxBytes} of it (up to the next commit).
     * Returns empty, with {@link #needSnapshot} set, when the WAL was restarted before a resumed
     * replicator caught up with it.
     */
    private Optional<NewFrames> scanNewFrames(FileChannel wal, Optional<WalHeader> header, long maxBytes) throws IOException {
        if (header.isEmpty()) {
            return Optional.empty();
        }
        WalHeader h = header.get();
        if (h.pageSize() != pageSize) {
            throw new IOException("database %s: WAL page size %d differs from the database's %d".formatted(path, h.pageSize(), pageSize));
        }
        if (unverified != null && !unverified.sameGeneration(h)) {
            LOG.log(System.Logger.Level.INFO, "{0}: the WAL was restarted before replication caught up; taking a snapshot", path);
            unverified = null;
            needSnapshot = true;
            return Optional.empty();
        }
        // A new generation began after everything in the old one was copied (see class comment).
        WalPosition from = position != null && position.sameGeneration(h) ? position : WalPosition.start(h);
        WalSegment segment = WalScanner.scan(wal, h, from.end(), from.checksum(), maxBytes);
        unverified = null;
        return segment.isEmpty() ? Optional.empty() : Optional.of(new NewFrames(h, segment));
    }

    private L0Writer.SegmentPages pagesInWal(FileChannel wal, WalSegment segment) {
        byte[] buffer = new byte[pageSize];
        return i -> {
            WalScanner.readPage(wal, segment.frameOffsets()[i], buffer);
            return buffer;
        };
    }

    private SyncResult writeIncrement(WalHeader h, WalSegment segment, L0Writer.SegmentPages source, L0Writer.ReadCheck pagesWereIntact)
            throws IOException {
        L0Writer.Written w;
        try {
            w = l0.write(txid, postApply, pages, h, segment, source, pagesWereIntact);
        } catch (ImageFiles.WalRestartedException e) {
            throw e; // the page table is untouched: the check runs before it takes the pages
        } catch (IOException | RuntimeException e) {
            // The page table may hold part of this file's changes: rebuild it with a snapshot.
            needSnapshot = true;
            throw e;
        }
        txid = w.range().max();
        postApply = w.postApply();
        position = w.position();
        checkpointer.fileWritten();
        return new SyncResult(Optional.of(w.range()), w.pageCount());
    }

    /**
     * Writes the whole database as the next TXID ({@link ImageFiles#snapshot}), under the pin, so
     * it is one point in time, and the WAL frames after that point follow as the next TXIDs.
     */
    private SyncResult snapshot() throws IOException {
        locks.pin();
        SyncResult r = took(images.snapshot(txid, postApply));
        needSnapshot = false;
        unverified = null;
        return r;
    }

    /** What the barrier found: new frames read into memory, nothing new, or work to do without it first. */
    sealed interface Capture {
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
    Capture captureNewFrames() throws IOException {
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
            return new Capture.Frames(found.get().header(), segment,
                    WalScanner.readPages(wal, segment, L0Writer.committedPages(segment), pageSize));
        } catch (NoSuchFileException e) {
            return Capture.NOTHING;
        }
    }

    /** Writes frames captured under the barrier as the next L0 file, once writers may go on. */
    void writeCaptured(Capture.Frames t) throws IOException {
        writeIncrement(t.header(), t.segment(), i -> t.pages()[i], () -> {});
    }

    /**
     * After our PASSIVE checkpoint: the pin was taken again under the barrier, after the tail was
     * copied; with every frame in the database it has read mark 0, harmless to the application's
     * checkpoints, and kept through quiet syncs.
     */
    void checkpointed(boolean complete) {
        pinCoversCopied = true;
        keepPinWhenQuiet = complete;
    }

    /** After our TRUNCATE checkpoint: frames committed since our last copy are in the database file only. */
    void truncated() {
        pinCoversCopied = false;
        keepPinWhenQuiet = false;
    }

    /** See {@link CheckpointPolicy#millisUntilTimed}. */
    public long millisUntilTimedCheckpoint() {
        return checkpointer.millisUntilTimedCheckpoint();
    }

    /**
     * Checkpoints if the WAL has grown past a threshold or the interval has passed since the last
     * one with changes in between ({@link Checkpointer}).
     *
     * @return true if a checkpoint ran
     */
    public boolean checkpointIfNeeded() throws IOException {
        if (locks.released() && millisUntilTimedCheckpoint() > 0) {
            return false; // nothing of ours waits for a checkpoint: a threshold is crossed only by a sync, which reconnects
        }
        reconnect();
        return checkpointer.checkpointIfNeeded();
    }

    /**
     * The most a database file may hold for its connections to be {@link #releaseIfQuiet released}:
     * after a release, the first sync that finds the WAL restarted (by the application's
     * checkpoint, or by SQLite when the last connection closed) reads the whole database to find
     * what changed ({@link ChangedPages}): at this size a few tens of milliseconds from the page
     * cache. Larger databases keep their connections.
     */
    static final long RELEASE_MAX_BYTES = 16L << 20;

    /**
     * Lets go of our connections ({@link SqliteLocks#release}) if nothing of ours needs them now:
     * no snapshot due and a database of at most RELEASE_MAX_BYTES. The pin goes with them, so the
     * next sync treats the WAL as one we did not watch: a new generation is caught up with from
     * the database file, never followed blindly. A timed checkpoint still pending opens them again
     * when it falls due.
     *
     * @return true if they were released now
     */
    public boolean releaseIfQuiet() throws IOException {
        if (locks.released() || needSnapshot || dbFile.channel().size() > RELEASE_MAX_BYTES) {
            return false;
        }
        locks.lowerBarrier();
        releasePin();
        keepPinWhenQuiet = false;
        locks.release();
        if (!Files.exists(walPath)) {
            checkpointer.walGone();
        }
        releaseCount++;
        return true;
    }

    /** Whether our connections are released now. Sync-loop thread only. */
    boolean released() {
        return locks.released();
    }

    /** Times our connections were released since the start (any thread). */
    public long releaseCount() {
        return releaseCount;
    }

    /**
     * Opens our connections again after a release. If another file now sits at the database's
     * path (replaced, say by a restore or a copy, while released), everything we knew of the old
     * one (page checksums, WAL position) is void: it is opened afresh, and the next sync writes a
     * snapshot of it as the next TXID. One with another page size is refused (an error at every
     * sync): a restore cannot apply files of two page sizes.
     */
    private void reconnect() throws IOException {
        if (!locks.released()) {
            return;
        }
        try {
            locks.pin();
            return;
        } catch (SqliteLocks.ReplacedException e) {
            LOG.log(System.Logger.Level.WARNING, "{0}: replaced by another file while idle; replicating the new file from a snapshot", path);
        }
        DatabaseFiles.Handle file = DatabaseFiles.open(path);
        SqliteLocks fresh = null;
        try {
            DatabaseImage.checkIsDatabase(path, file.channel());
            fresh = SqliteLocks.open(path, options.busyTimeout());
            int newPageSize = fresh.pageSize();
            if (newPageSize != pageSize) {
                // A restore applies every file of a chain at one page size.
                throw new IOException(("database %s: replaced by a database with page size %d, was %d: its TXIDs cannot continue the"
                        + " replica's; stop replicating it and run `litestream reset %s` to start a new chain").formatted(path, newPageSize,
                        pageSize, path));
            }
        } catch (IOException | RuntimeException e) {
            if (fresh != null) {
                fresh.close();
            }
            file.close(); // after our connections to it: the application's locks are DatabaseFiles' to keep
            throw e;
        }
        locks.close();
        dbFile.close(); // the old file's, after our connections to it
        locks = fresh;
        dbFile = file;
        images = new ImageFiles(path, walPath, dbFile.channel(), pageSize, store, clock);
        l0 = new L0Writer(store, pageSize, clock);
        checkpointer = new Checkpointer(this, locks, pageSize, CheckpointPolicy.of(options), clock);
        checkpointer.events(events);
        pages = null;
        position = null;
        unverified = null;
        pinCoversCopied = false;
        keepPinWhenQuiet = false;
        needSnapshot = true;
    }

    /**
     * Our PASSIVE checkpoint ({@link Checkpointer#passiveCheckpoint}).
     *
     * @return true if every WAL frame was copied into the database
     */
    public boolean passiveCheckpoint() throws IOException {
        return checkpointer.passiveCheckpoint();
    }

    /** For tests: runs right before the checkpoint's barrier is raised. */
    void beforeBarrier(Runnable r) {
        checkpointer.beforeBarrier(r);
    }

    @Override
    public void close() {
        if (locks != null) {
            locks.close();
        }
        if (dbFile != null) {
            dbFile.close(); // after our connections: see DatabaseFiles for when the descriptor really closes
        }
    }
}
