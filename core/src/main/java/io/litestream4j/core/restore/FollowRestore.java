package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.ByteRangeReader;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.LtxPageReader;
import io.litestream4j.ltx.PageIndex;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * {@code restore -f}: restores a database and keeps it current in place, as Litestream 0.5's follow
 * mode does, so that other processes can read it with SQLite while it follows the replica.
 *
 * <ul>
 *   <li>Start: without the output, a normal restore ({@link Restorer}, verified, optionally
 *       integrity-checked) to a staging file, switched to rollback-journal mode, its TXID recorded
 *       ({@link FollowTxidFile}) and then renamed into place. With the output and its TXID file, a
 *       resume from that TXID (after rolling back a change a crash interrupted). With the output but
 *       no TXID file, an error unless {@code force} replaces it.
 *   <li>Every {@code interval}: one listing of L0 from the next TXID ({@link io.litestream4j.core.replica.ListsFrom}:
 *       one request on S3 that returns only the new files, not the minutes of files L0 keeps). New files that continue the chain are applied, all of one
 *       poll in one {@link InPlaceDatabase.Change}: readers see the state before or after them. A
 *       gap in L0 (files compacted and removed by retention, a follower that was down) is bridged
 *       by a plan over L0-L8 ({@link RestorePlanner}, which takes the fewest, biggest files), and
 *       if that has a gap too (retention removed them), through the newest snapshot. The
 *       levels are also listed every {@link #REPLAN} while L0 shows nothing new, which finds data
 *       whose L0 files were removed before a poll saw them.
 *   <li>A planned file that is gone (retention) means a new plan at the next poll; other failures
 *       are logged and the poll is tried again next interval, as Litestream does. Either way the
 *       database stays at a whole state: an unfinished change is rolled back from its journal.
 * </ul>
 *
 * The TXID file is written only after the pages of a change are durable, so it never runs ahead
 * of the database; after a crash it may lag behind it, and applying files from the older TXID
 * again ends at the same bytes (each page's newest version, the newest size).
 */
public final class FollowRestore implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(FollowRestore.class);
    /** Litestream's default {@code -follow-interval}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(1);
    /**
     * How often the higher levels are listed while L0 shows nothing new: well inside the 5-minute
     * {@code l0-retention}, so L0 files removed before a poll saw them (a follower stalled that
     * long) are found through the level that replaced them.
     */
    static final Duration REPLAN = Duration.ofMinutes(1);

    /** What the caller is told; the CLI prints it. */
    public interface Listener {
        void restored(Path output, Restorer.Result result);

        void resumed(Path output, long txid);

        void applied(long fromTxid, long toTxid, int files, long pagesWritten);

        void failed(IOException error, int consecutive);
    }

    /**
     * @param output the followed database
     * @param interval between two polls of the replica
     * @param integrityCheck run on the first restore
     * @param force replace an output that is not a followed database
     * @param parallelism files downloaded at once
     */
    public record Options(Path output, Duration interval, RestoreOptions.IntegrityCheck integrityCheck, boolean force, int parallelism) {
        public Options {
            output = output.toAbsolutePath();
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("invalid -follow-interval %s: want more than 0".formatted(interval));
            }
        }
    }

    private final ReplicaClient client;
    private final Options options;
    private final Listener listener;
    private final Clock clock;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Path downloads;
    private Prefetcher prefetcher;
    private InPlaceDatabase db;
    private long txid;
    private Instant nextReplan = Instant.MIN;

    public FollowRestore(ReplicaClient client, Options options, Listener listener, Clock clock) {
        this.client = client;
        this.options = options;
        this.listener = listener;
        this.clock = clock;
        this.downloads = options.output().resolveSibling(options.output().getFileName() + ".download");
    }

    /** Makes {@link #run} return after the change under way, if any (callable from any thread, a signal handler). */
    public void stop() {
        stop.countDown();
    }

    /** Restores or resumes, then follows until {@link #stop}. Errors before following (no backup, a bad TXID file) are thrown. */
    public void run() throws IOException {
        start();
        int consecutive = 0;
        while (!awaitStop(options.interval())) {
            try {
                pollOnce();
                consecutive = 0;
            } catch (InterruptedIOException e) {
                if (stopped()) {
                    break;
                }
                listener.failed(e, ++consecutive);
            } catch (IOException e) {
                listener.failed(e, ++consecutive);
            }
        }
    }

    /** The TXID the followed database holds. */
    public long txid() {
        return txid;
    }

    private boolean stopped() {
        return stop.getCount() == 0;
    }

    private boolean awaitStop(Duration d) {
        try {
            return stop.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Restores the output or resumes following it; opens it for in-place changes. */
    void start() throws IOException {
        Path out = options.output();
        OptionalLong saved = Files.exists(out) ? FollowTxidFile.read(out) : OptionalLong.empty();
        if (Files.exists(out) && saved.isEmpty() && !options.force()) {
            throw new FileAlreadyExistsException(out.toString(), null, ("cannot resume follow mode: the database exists but has no TXID file %s; "
                    + "delete it to restore again, or use -force to replace it").formatted(FollowTxidFile.of(out)));
        }
        Files.createDirectories(downloads);
        prefetcher = new Prefetcher(client, options.parallelism(), downloads);
        if (saved.isPresent()) {
            InPlaceDatabase.recover(out);
            long newest = newest(listLevels(false));
            if (Long.compareUnsigned(newest, saved.getAsLong()) < 0) {
                throw behind(newest, saved.getAsLong());
            }
            txid = saved.getAsLong();
            listener.resumed(out, txid);
        } else {
            restoreFresh(out);
        }
        db = InPlaceDatabase.open(out, this::stopped);
    }

    private void restoreFresh(Path out) throws IOException {
        for (String suffix : List.of("-wal", "-shm", "-journal")) {
            Path side = out.resolveSibling(out.getFileName() + suffix);
            if (Files.exists(side) && !options.force()) {
                throw new FileAlreadyExistsException(side.toString(), null, "SQLite file of an earlier database beside the output; use -force to replace it");
            }
        }
        RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
        Path staging = out.resolveSibling(out.getFileName() + ".follow");
        Restorer.Result result = Restorer.restore(client, plan, new RestoreOptions(staging, OptionalLong.empty(), options.integrityCheck(), true),
                options.parallelism());
        toRollbackMode(staging);
        for (String suffix : List.of("-wal", "-shm", "-journal")) {
            // A hot journal or a WAL of an earlier database would be applied to this one by its first reader.
            Files.deleteIfExists(out.resolveSibling(out.getFileName() + suffix));
        }
        FollowTxidFile.write(out, result.txid()); // before the database appears: a crash in between restores afresh
        AtomicFiles.moveDurably(staging, out);
        txid = result.txid();
        listener.restored(out, result);
    }

    /**
     * Sets the header's read and write versions (bytes 18-19) to 1, rollback-journal mode: the
     * replica holds a WAL-mode database, whose readers would use the WAL index's locks instead of
     * the ones changes take here.
     */
    static void toRollbackMode(Path db) throws IOException {
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(new byte[] {1, 1});
            while (b.hasRemaining()) {
                ch.write(b, 18 + b.position());
            }
            ch.force(true);
        }
    }

    /** One poll: lists L0 after the TXID (and the other levels when needed) and applies what is new. */
    void pollOnce() throws IOException {
        // From the next TXID on only (S3: start-after); a file straddling the TXID is a gap, bridged below.
        List<LtxFileInfo> l0 = io.litestream4j.core.replica.ListsFrom.startingAt(client, 0, txid + 1);
        RestorePlan plan = null;
        if (!l0.isEmpty()) {
            try {
                plan = RestorePlanner.plan(client.location(), l0, txid, OptionalLong.empty());
            } catch (IOException gap) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: L0 alone cannot continue from TXID {1} ({2}); planning over every level",
                        options.output(), Txid.format(txid), gap.getMessage());
            }
        }
        if (plan == null && (!l0.isEmpty() || !clock.instant().isBefore(nextReplan))) {
            plan = planOverLevels();
            nextReplan = clock.instant().plus(REPLAN);
        }
        if (plan == null || plan.files().isEmpty()) {
            return;
        }
        try {
            apply(plan);
        } catch (PlanApplier.GoneException e) {
            nextReplan = Instant.MIN; // the next poll plans over every level
            throw e;
        }
    }

    /** A plan from the TXID to the replica's newest over L0-L8, or through a snapshot if those have a gap. */
    private RestorePlan planOverLevels() throws IOException {
        List<LtxFileInfo> files = listLevels(false);
        long newest = newest(files);
        if (Long.compareUnsigned(newest, txid) < 0) {
            throw behind(newest, txid);
        }
        try {
            return RestorePlanner.plan(client.location(), files, txid, OptionalLong.empty());
        } catch (IOException gap) {
            LOG.log(System.Logger.Level.INFO, "{0}: levels 0-8 cannot continue from TXID {1} ({2}); catching up through the newest snapshot",
                    options.output(), Txid.format(txid), gap.getMessage());
            return RestorePlanner.plan(client.location(), listLevels(true), txid, OptionalLong.empty());
        }
    }

    private List<LtxFileInfo> listLevels(boolean withSnapshots) throws IOException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = withSnapshots ? LtxFileInfo.SNAPSHOT_LEVEL : LtxFileInfo.SNAPSHOT_LEVEL - 1; level >= 0; level--) {
            all.addAll(client.listFiles(level, 0));
        }
        return all;
    }

    private static long newest(List<LtxFileInfo> files) {
        return files.stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
    }

    private IOException behind(long newest, long saved) {
        Path out = options.output();
        return new IOException(("replica %s: its newest TXID %s is behind the followed database's %s (the replica was reset or replaced); "
                + "delete %s and %s to restore again").formatted(client.location(), Txid.format(newest), Txid.format(saved), out,
                FollowTxidFile.of(out)));
    }

    /**
     * Applies the files of {@code plan} in one change: each page written once, from the newest
     * file holding it ({@link PageOwners}), pages a smaller commit cut off gone, the size the last
     * file's commit. Every file is verified completely; a failure rolls the change back.
     */
    private void apply(RestorePlan plan) throws IOException {
        List<LtxFileInfo> files = plan.files();
        prefetcher.reset(files);
        List<Prefetcher.Fetched> fetched = new ArrayList<>();
        try {
            List<LtxPageReader> indexes = new ArrayList<>();
            List<PageOwners.FilePages> pages = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                String name = name(files.get(i));
                Prefetcher.Fetched f;
                try {
                    f = prefetcher.fetch(i);
                } catch (NoSuchFileException e) {
                    throw new PlanApplier.GoneException(name, files.get(i), e);
                }
                fetched.add(f);
                LtxPageReader index = LtxPageReader.open(ByteRangeReader.of(f.path()), name);
                if (index.header().pageSize() != db.pageSize()) {
                    throw new IOException("%s: page size %d, but %s has %d".formatted(name, index.header().pageSize(), options.output(), db.pageSize()));
                }
                indexes.add(index);
                PageIndex pi = index.index();
                pages.add(new PageOwners.FilePages(index.header().commit(), IntStream.range(0, pi.size()).map(pi::pgno).toArray()));
            }
            PageOwners owners = PageOwners.of(pages);
            int finalPages = pages.getLast().commit();
            int bound = pages.stream().mapToInt(PageOwners.FilePages::commit).min().orElseThrow();
            int before = db.pageCount();
            int[] changing = IntStream.rangeClosed(1, before).filter(p -> p > bound || (p <= finalPages && owners.isOwned(p))).toArray();
            long written = 0;
            try (InPlaceDatabase.Change change = db.begin(changing)) {
                if (bound < before) {
                    change.resize(bound); // pages a smaller commit cut off read as zeros if the database grows again
                }
                byte[] page = new byte[db.pageSize()];
                for (int i = 0; i < files.size(); i++) {
                    written += writeOwnedPages(change, owners, i, indexes.get(i).header(), fetched.get(i).path(), name(files.get(i)), page);
                }
                change.commit(finalPages);
            }
            long from = txid;
            FollowTxidFile.write(options.output(), plan.txid());
            txid = plan.txid();
            listener.applied(from, txid, files.size(), written);
        } finally {
            for (Prefetcher.Fetched f : fetched) {
                f.release();
            }
        }
    }

    private static long writeOwnedPages(InPlaceDatabase.Change change, PageOwners owners, int i, LtxHeader planned, Path file, String name,
            byte[] page) throws IOException {
        long written = 0;
        try (LtxDecoder d = new LtxDecoder(Files.newInputStream(file), name)) {
            if (d.header().commit() != planned.commit()) {
                throw new IOException("%s: commit %d, but its index was read with %d".formatted(name, d.header().commit(), planned.commit()));
            }
            int pgno;
            while ((pgno = d.readPage(page)) != 0) {
                if (owners.writes(i, pgno)) {
                    change.write(pgno, page);
                    written++;
                }
            }
        } catch (RuntimeException e) {
            throw new IOException("%s: unreadable: %s".formatted(name, e), e);
        }
        return written;
    }

    private String name(LtxFileInfo f) {
        return "%s level %d file %s".formatted(client.location(), f.level(), f.fileName());
    }

    @Override
    public void close() throws IOException {
        try {
            if (db != null) {
                db.close();
            }
        } finally {
            if (prefetcher != null) {
                prefetcher.close();
            }
            Restorer.deleteTree(downloads);
        }
    }
}
