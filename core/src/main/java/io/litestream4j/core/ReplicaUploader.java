package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicaStatus;
import io.litestream4j.core.compaction.ReplicaMaintainer;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaReads;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.RestorableTimeline;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxCompactor;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.Txid;
import io.litestream4j.ltx.TxidRange;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Sends a database's local L0 files to one replica, strictly in TXID order, on a virtual thread.
 * It knows the replica's position (its highest TXID) from one listing at start and from its own
 * uploads after that, so a sync costs one write and no listing. Files that piled up go out merged
 * in one write. A failed upload is retried with backoff without losing its place.
 */
final class ReplicaUploader implements ReplicaMaintainer.ChainCheck {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicaUploader.class);
    /**
     * Retries start fast and back off to at most 5 s: long enough not to hammer a throttled store
     * (the SDK has already retried each request), short enough that the lag recovers within
     * seconds of the store doing so.
     */
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Bounds one merged upload's open files and page buffers; a longer backlog goes out in several. */
    static final int MAX_FILES_PER_UPLOAD = 256;
    /** Consecutive failed rounds after which a failure is logged as an ERROR: a transient error rarely lasts three retries. */
    static final int ALARM_AFTER = 3;

    private final ReplicaClient client;
    private final LocalLtxStore store;
    private final Duration syncInterval;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Object lock = new Object();
    private volatile long position;
    private boolean pending;
    private boolean stopping;
    /** Set before we interrupt our own thread: any other interrupt is a stray, not a request to stop. */
    private volatile boolean halted;
    /** When the last upload started: uploads start sync-interval apart, however long each takes. */
    private long lastUploadMillis;
    /** Since when a local file has been waiting for this replica; 0 when it holds everything. Guarded by lock. */
    private long behindSinceMillis;
    /** When the newest wake came in while no wake was pending. Guarded by lock. */
    private long pendingSinceMillis;
    private volatile long lastSuccessMillis;
    private final ReplicaHealth health = new ReplicaHealth();
    /**
     * The replica holds no restorable chain (wiped, emptied by a lifecycle rule, newly added, or
     * behind the local files): nothing is uploaded until a full local file exists to seed it with
     * a snapshot. Guarded by lock.
     */
    private boolean seeding;
    /** The seed repairs a lost chain ({@link #requestSeed}), rather than being a scheduled snapshot. Guarded by lock. */
    private boolean repairing;
    /** The full local file (every page) the seed is made from, once the sync loop wrote it. Guarded by lock. */
    private TxidRange seedFile;
    /** Asks the sync loop for a full local file (a snapshot) to seed the replica with. */
    private volatile Runnable seedRequested = () -> {};
    private Thread thread;
    /** An upload is awaited: skip the spacing once. Guarded by lock. */
    private boolean hurried;

    /** Notified when the position advances, an upload fails, or the uploader halts: what {@link #awaitPosition} waits on. */
    private final Object progress = new Object();
    /** Failed upload rounds since start. Guarded by progress. */
    private long failures;

    ReplicaUploader(ReplicaClient client, LocalLtxStore store, Duration syncInterval, Clock clock, long replicaPosition) {
        this.client = client;
        this.store = store;
        this.syncInterval = syncInterval;
        this.clock = clock;
        this.sleeper = Sleeper.of(clock);
        this.position = replicaPosition;
    }

    ReplicaClient client() {
        return client;
    }

    /** The highest TXID the replica holds, as far as this uploader knows. */
    @Override
    public long position() {
        return position;
    }

    /** This replica's problems: the uploader reports its own, compaction and retention theirs. */
    ReplicaHealth health() {
        return health;
    }

    /** What the replica holds: its highest TXID over all levels and the checksum after it. */
    static Database.ReplicaState readState(ReplicaClient client) throws IOException {
        return readState(client, RestorePlanner.listAll(client));
    }

    /** {@link #readState(ReplicaClient)} from a listing of every level. */
    static Database.ReplicaState readState(ReplicaClient client, List<LtxFileInfo> all) throws IOException {
        LtxFileInfo newest = all.stream().max((a, b) -> Long.compareUnsigned(a.maxTxid(), b.maxTxid())).orElse(null);
        if (newest == null) {
            return Database.ReplicaState.EMPTY;
        }
        if (WriteOnly.of(client).isPresent()) {
            // Its position is in the names; the checksum after it is in a file we cannot open. Unknown
            // (0) means: resume from the local files if they are there, else a snapshot follows.
            return new Database.ReplicaState(newest.maxTxid(), 0);
        }
        long postApply;
        try (InputStream in = ReplicaReads.open(client, newest.level(), newest.range(), 0, LtxHeader.SIZE)) {
            LtxHeader h = LtxHeader.parse(newest.fileName(), in.readNBytes(LtxHeader.SIZE), 0);
            if (h.noChecksum()) {
                postApply = 0;
            } else {
                try (InputStream tail = ReplicaReads.open(client, newest.level(), newest.range(), newest.size() - 16, 8)) {
                    postApply = ByteBuffer.wrap(tail.readNBytes(8)).getLong();
                }
            }
        }
        return new Database.ReplicaState(newest.maxTxid(), postApply);
    }

    /** Called (on any thread) when this replica needs a full local file to be seeded from. */
    void onSeedRequest(Runnable r) {
        seedRequested = r;
    }

    /**
     * Checks a fresh listing of every level: a replica whose files cannot rebuild its newest TXID,
     * or that lost files this uploader had written before the listing began ({@code
     * positionBefore}), holds no restorable chain. Then health turns red ({@link
     * ReplicaHealth#CHAIN}) and a new snapshot is requested. Returns whether the chain is whole.
     */
    @Override
    public boolean check(List<LtxFileInfo> all, long positionBefore) {
        long newest = all.stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
        if (Long.compareUnsigned(newest, positionBefore) < 0) {
            requestSeed("holds TXIDs up to %s but TXIDs up to %s were uploaded to it (wiped, or emptied by a lifecycle rule?)"
                    .formatted(Txid.format(newest), Txid.format(positionBefore)));
            return false;
        }
        if (newest != 0 && !RestorableTimeline.of(all).rebuildable(newest)) {
            String why;
            try {
                RestorePlanner.plan(client.location(), all, 0, java.util.OptionalLong.of(newest));
                why = "cannot be restored";
            } catch (IOException e) {
                why = e.getMessage();
            }
            requestSeed("has files that cannot rebuild its newest TXID %s: %s".formatted(Txid.format(newest), why));
            return false;
        }
        return true;
    }

    /**
     * Whether the local files continue this replica's chain from its position: empty if they do;
     * else why not (then {@link #uploadPending} seeds it with a snapshot instead). {@code nextTxid}
     * is the TXID the next local file will have, for when none is there yet.
     */
    Optional<String> gapBefore(long nextTxid) throws IOException {
        return gapBefore(store.list(), nextTxid);
    }

    /** {@link #gapBefore(long)} for the local files {@code local}, listed by the caller. */
    private Optional<String> gapBefore(List<TxidRange> local, long nextTxid) {
        TxidRange first = local.stream().filter(r -> Long.compareUnsigned(r.max(), position) > 0).findFirst().orElse(null);
        long min = first != null ? first.min() : nextTxid;
        if (Long.compareUnsigned(min, position + 1) > 0 && min != 1) {
            return Optional.of(("holds TXIDs up to %s but the local files continue at %s (TXIDs %s-%s were never uploaded to it: a new "
                    + "replica, or one that fell behind)").formatted(Txid.format(position), Txid.format(min), Txid.format(position + 1),
                    Txid.format(min - 1)));
        }
        return Optional.empty();
    }

    /** Starts seeding: nothing more is uploaded until the replica has a new snapshot. */
    void requestSeed(String why) {
        synchronized (lock) {
            if (seeding) {
                return;
            }
            seeding = true;
            seedFile = null;
            repairing = true;
        }
        health.report(ReplicaHealth.CHAIN, "no restorable chain: the replica " + why + "; a new snapshot follows");
        LOG.log(System.Logger.Level.WARNING, "replica {0} holds no restorable chain: it {1}; writing a new snapshot to it", client.location(), why);
        seedRequested.run();
    }

    /**
     * A snapshot taken from the local database rather than merged from the replica's files: the
     * scheduled snapshot of a {@link WriteOnly} replica. Like a seed (the next sync writes a full
     * local file, uploaded as level 9), but nothing is wrong with the replica: health is untouched.
     */
    void requestSnapshot() {
        synchronized (lock) {
            if (seeding) {
                return;
            }
            seeding = true;
            seedFile = null;
            repairing = false;
        }
        LOG.log(System.Logger.Level.INFO, "replica {0}: taking a snapshot from the local database (its files cannot be read to merge one)",
                client.location());
        seedRequested.run();
    }

    /** True while this replica waits for a full local file to be seeded from. */
    boolean awaitingSeed() {
        synchronized (lock) {
            return seeding && seedFile == null;
        }
    }

    /** The sync loop wrote {@code full}, a local file holding every page: the seed, if one is awaited. */
    void seedFrom(TxidRange full) {
        synchronized (lock) {
            if (seeding && seedFile == null) {
                seedFile = full;
            }
        }
        wake();
    }

    void start() {
        thread = Thread.ofVirtual().name("upload " + client.location()).start(this::run);
    }

    /** Uploads what is pending on the caller's thread, before {@link #start}; failures propagate. */
    void uploadNow() throws IOException {
        try {
            uploadPending();
        } catch (IOException e) {
            throw new IOException("replica %s: cannot write to it: %s".formatted(client.location(), IoErrors.describe(e)), e);
        }
        synchronized (lock) {
            pending = false; // everything local is uploaded: nothing for the loop to redo
        }
        roundSucceeded();
    }

    /** A new local file is ready. */
    void wake() {
        synchronized (lock) {
            long now = clock.millis();
            if (!pending) {
                pendingSinceMillis = now;
            }
            if (behindSinceMillis == 0) {
                behindSinceMillis = now;
            }
            pending = true;
            lock.notifyAll();
        }
    }

    /** Position, lag and last success, for metrics and health checks. */
    ReplicaStatus status() {
        long behind;
        synchronized (lock) {
            behind = behindSinceMillis;
        }
        return new ReplicaStatus(client.type(), client.location(), position, behind == 0 ? 0 : Math.max(0, clock.millis() - behind),
                lastSuccessMillis, health.summary());
    }

    /** After a successful round: caught up, unless files arrived during it. */
    private void roundSucceeded() {
        synchronized (lock) {
            behindSinceMillis = pending ? pendingSinceMillis : 0;
        }
        lastSuccessMillis = clock.millis();
    }

    /** Uploads what is left, waiting at most {@code timeout}; true if the replica caught up with {@code txid}. */
    boolean stop(long txid, Duration timeout) throws InterruptedException {
        synchronized (lock) {
            stopping = true;
            pending = true;
            lock.notifyAll();
        }
        if (thread != null) {
            thread.join(timeout);
            if (thread.isAlive()) {
                halted = true;
                thread.interrupt();
                thread.join(1000);
            }
        }
        return Long.compareUnsigned(position, txid) >= 0;
    }

    /** Stops now, interrupting an upload in flight; what is not uploaded stays local for the next start. */
    void abort() {
        halted = true;
        synchronized (progress) {
            progress.notifyAll();
        }
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void advanceTo(long txid) {
        synchronized (progress) {
            position = txid;
            progress.notifyAll();
        }
    }

    /** Failed upload rounds since start: {@link #awaitPosition} fails on one that comes after it was called. */
    long failures() {
        synchronized (progress) {
            return failures;
        }
    }

    /** How a wait for the replica to hold a TXID ended. */
    enum Progress { REACHED, FAILED, HALTED, TIMED_OUT }

    /**
     * Waits until the replica holds {@code txid}, or an upload fails after {@code failuresBefore}
     * failures were counted, or this uploader halts, or {@code deadlineNanos} (System.nanoTime) passes.
     */
    Progress awaitPosition(long txid, long failuresBefore, long deadlineNanos) throws InterruptedException {
        synchronized (progress) {
            while (true) {
                if (Long.compareUnsigned(position, txid) >= 0) {
                    return Progress.REACHED;
                }
                if (failures != failuresBefore) {
                    return Progress.FAILED;
                }
                if (halted) {
                    return Progress.HALTED;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return Progress.TIMED_OUT;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
    }

    private void run() {
        Backoff backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF);
        int failuresInARow = 0;
        while (!halted) {
            try {
                boolean last = awaitWork();
                if (!last) {
                    spaceUploads();
                }
                try {
                    uploadPending();
                } catch (IOException | RuntimeException e) {
                    if (halted) {
                        return;
                    }
                    failuresInARow++;
                    health.report(ReplicaHealth.UPLOAD, failuresInARow >= ALARM_AFTER
                            ? "failed %d times in a row: %s".formatted(failuresInARow, ReplicaHealth.describe(e)) : ReplicaHealth.describe(e));
                    synchronized (progress) {
                        failures++; // after the report: a waiter woken by it reads the cause from health
                        progress.notifyAll();
                    }
                    // A blip is a warning; a failure that outlasts a few retries (a store refusing
                    // every body, a revoked key) is an alarm, logged as such at every retry.
                    Duration wait = backoff.next();
                    LOG.log(failuresInARow >= ALARM_AFTER ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                            "upload to {0} failed ({1} in a row), retrying in {2,number,#} ms: {3}", client.location(), failuresInARow, wait.toMillis(),
                            ReplicaHealth.describe(e));
                    sleeper.sleep(wait);
                    synchronized (lock) {
                        pending = true;
                    }
                    continue;
                }
                health.clear(ReplicaHealth.UPLOAD);
                failuresInARow = 0;
                roundSucceeded();
                backoff.reset();
                if (last) {
                    return;
                }
            } catch (InterruptedException e) {
                if (halted) {
                    return;
                }
                // Not ours (a library's timeout, say): an uploader that quietly stopped would lose the replica.
                LOG.log(System.Logger.Level.WARNING, "upload to {0}: stray interrupt ignored", client.location());
                synchronized (lock) {
                    pending = true;
                }
            }
        }
    }

    /** Waits for a new file or a stop; true if this is the last round (stopping). */
    private boolean awaitWork() throws InterruptedException {
        synchronized (lock) {
            while (!pending && !stopping) {
                lock.wait();
            }
            pending = false;
            return stopping;
        }
    }

    /**
     * Keeps at least sync-interval between uploads, so what arrives meanwhile goes out together;
     * a stop ends the wait at once, so the final sync is not held back by a long interval (it was:
     * with a 1 h interval, close() gave up after its timeout and the last changes stayed local);
     * and so does someone waiting for this replica ({@link #hurry}): then the upload starts now.
     */
    private void spaceUploads() throws InterruptedException {
        long wait = lastUploadMillis + syncInterval.toMillis() - clock.millis();
        long deadline = System.nanoTime() + Math.max(0, wait) * 1_000_000;
        synchronized (lock) {
            long left;
            while (!hurried && !stopping && (left = deadline - System.nanoTime()) > 0) {
                lock.wait(Math.max(1, left / 1_000_000));
            }
            hurried = false;
        }
    }

    /**
     * Someone waits for this replica to take what is pending (the library's
     * {@code awaitReplicated}, {@code sync -wait}): the next upload skips the sync-interval
     * spacing, as Litestream's {@code sync -wait} syncs the replica at once.
     */
    void hurry() {
        synchronized (lock) {
            hurried = true;
            lock.notifyAll();
        }
    }

    /**
     * Uploads the local files past the replica's position. Consecutive files go out merged into
     * one L0 file (at most {@link #MAX_FILES_PER_UPLOAD} at a time): what piled up during an
     * upload or a sync interval costs one request, not one per sync. The replica then has one file
     * for the range, so a restore can stop at its end but not inside it.
     */
    private void uploadPending() throws IOException {
        TxidRange seed;
        synchronized (lock) {
            if (seeding && seedFile == null) {
                return; // the sync loop writes the full file it needs
            }
            seed = seeding ? seedFile : null;
        }
        if (seed != null) {
            uploadSeed(seed);
        }
        List<TxidRange> local = store.list(); // one listing for the gap and the batches (a start of 10,000 databases lists each once here)
        Optional<String> gap = gapBefore(local, position + 1);
        if (gap.isPresent()) {
            requestSeed(gap.get());
            return;
        }
        List<TxidRange> batch = new ArrayList<>();
        for (TxidRange range : local) {
            long end = batch.isEmpty() ? position : batch.getLast().max();
            if (Long.compareUnsigned(range.max(), end) <= 0) {
                continue;
            }
            if (!batch.isEmpty() && (!batch.getLast().continuesWith(range) || batch.size() == MAX_FILES_PER_UPLOAD)) {
                upload(batch);
                batch.clear();
            }
            if (batch.isEmpty() && Long.compareUnsigned(range.min(), position + 1) > 0 && range.min() != 1) {
                requestSeed(gapBefore(local, range.min()).orElse("has a gap before local file " + range));
                return;
            }
            batch.add(range);
        }
        if (!batch.isEmpty()) {
            upload(batch);
        }
    }

    /** Writes the full local file {@code full} to the replica as a snapshot (level 9, TXIDs 1 to its max). */
    private void uploadSeed(TxidRange full) throws IOException {
        TxidRange range = new TxidRange(1, full.max());
        Path file = full.min() == 1 ? store.path(full) : SnapshotFiles.fromFullFile(store.path(full), store.dir());
        try {
            Instant created;
            try (InputStream in = Files.newInputStream(file)) {
                created = Instant.ofEpochMilli(LtxHeader.parse(range.fileName(), in.readNBytes(LtxHeader.SIZE), 0).timestamp());
            }
            try (InputStream in = Files.newInputStream(file)) {
                client.write(LtxFileInfo.SNAPSHOT_LEVEL, range, in, Files.size(file), created);
            }
        } finally {
            if (full.min() != 1) {
                Files.deleteIfExists(file);
            }
        }
        boolean repaired;
        synchronized (lock) {
            seeding = false;
            seedFile = null;
            repaired = repairing;
        }
        advanceTo(full.max());
        health.clear(ReplicaHealth.CHAIN);
        LOG.log(System.Logger.Level.INFO, repaired ? "replica {0}: wrote snapshot {1}; it holds a restorable chain again"
                : "replica {0}: wrote snapshot {1} from the local database", client.location(), range);
    }

    /** Uploads one local file, or several consecutive ones merged, as one L0 file. */
    private void upload(List<TxidRange> batch) throws IOException {
        long started = clock.millis();
        TxidRange range = new TxidRange(batch.getFirst().min(), batch.getLast().max());
        Path file = batch.size() == 1 ? store.path(range) : merge(batch, range);
        try {
            try (LtxDecoder d = new LtxDecoder(Files.newInputStream(file), file.toString())) {
                d.verify(); // a corrupt file must never leave the machine
            }
            Instant created;
            try (InputStream in = Files.newInputStream(file)) {
                created = Instant.ofEpochMilli(LtxHeader.parse(range.fileName(), in.readNBytes(LtxHeader.SIZE), 0).timestamp());
            }
            try (InputStream in = Files.newInputStream(file)) {
                client.write(0, range, in, Files.size(file), created);
            }
        } finally {
            if (batch.size() > 1) {
                Files.deleteIfExists(file);
            }
        }
        advanceTo(range.max());
        lastUploadMillis = started;
        LOG.log(System.Logger.Level.DEBUG, "uploaded {0} ({1} local files) to {2}", range, batch.size(), client.location());
    }

    /** Merges consecutive local files into a temporary file beside them (removed at the next start if we crash). */
    private Path merge(List<TxidRange> batch, TxidRange range) throws IOException {
        Path out = Files.createTempFile(store.dir(), "upload-", AtomicFiles.TEMP_SUFFIX);
        List<LtxDecoder> inputs = new ArrayList<>();
        try (OutputStream o = new BufferedOutputStream(io.litestream4j.core.NamedOutputStream.open(out), 1 << 16)) {
            for (TxidRange r : batch) {
                inputs.add(new LtxDecoder(store.open(r), store.path(r).toString()));
            }
            LtxCompactor.compact(inputs, o, out + " (" + range.fileName() + ")");
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        } finally {
            for (LtxDecoder d : inputs) {
                d.close();
            }
        }
        return out;
    }
}
