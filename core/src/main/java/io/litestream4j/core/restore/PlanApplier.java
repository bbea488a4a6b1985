package io.litestream4j.core.restore;

import io.litestream4j.core.replica.LocalFiles;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.ByteRangeReader;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.DatabaseChecksum;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.LtxPageReader;
import io.litestream4j.ltx.LtxPartsDecoder;
import io.litestream4j.ltx.LtxTrailer;
import io.litestream4j.ltx.PageIndex;
import io.litestream4j.ltx.PageSizes;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Applies a restore plan writing each page once, decoding files on several cores at a time.
 *
 * <ol>
 *   <li>Decides with {@link PageOwners} which file writes each page: the newest holding it.
 *       Overlapping levels then cost reads, not writes. From a local replica every file's header
 *       and page index are read first (three small reads each) and the files are then decoded
 *       largest first, for the best spread over the workers. Downloads go newest first instead
 *       (after the biggest file, which starts downloading at once): each file's index is read
 *       from its download and claimed as soon as every newer file has been, so no request is
 *       spent on indexes and the prefetch window stays ahead.
 *   <li>Decodes every file completely on {@code workers} threads, verifying each one as
 *       {@link LtxDecoder} does (every frame, its page index, its file checksum) and checking
 *       that the index it verified is the one the pages were claimed from. Pages the file owns
 *       go to the output with positional writes, runs of consecutive pages gathered into 1 MiB
 *       writes, as {@link OutputWriting} says: through the page cache (by default), for big
 *       databases with early writeback, or where configured, the long aligned runs straight to
 *       the disk (O_DIRECT; short runs, single pages of L0 files, still go through the page
 *       cache: Linux keeps it coherent with direct writes, and since no page is written twice,
 *       the order of writes does not matter).
 *   <li>Adds up the database checksum from the pages written (and zeros for pages no file holds),
 *       for the caller to compare with the last file's post-apply checksum.
 * </ol>
 *
 * A failure stops the other workers after their current file and is thrown once all have
 * stopped; a planned file that is gone is a {@link GoneException} naming it. The output is a
 * temporary file: nothing here is durable until the caller fsyncs and renames it.
 */
final class PlanApplier {
    /** A planned file the replica no longer has (retention removed it, or it cannot be read). */
    static final class GoneException extends IOException {
        private static final long serialVersionUID = 1L;
        final transient LtxFileInfo file;
        final String name;

        GoneException(String name, LtxFileInfo file, NoSuchFileException cause) {
            super(name + ": " + cause.getMessage(), cause);
            this.file = file;
            this.name = name;
        }
    }

    /**
     * What was applied: pages written, the database checksum of the result, the last file's
     * post-apply checksum (0: none), the plan's bytes, and how many bytes went out with O_DIRECT.
     */
    record Applied(long pagesWritten, long checksum, long postApply, long bytes, long directBytes) {}

    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(PlanApplier.class);
    private static final int RUN_BYTES = 1 << 20;
    /** Each worker's read buffer for the files it decodes whole: 8 reads of a 1 MiB L0 file. */
    private static final int INPUT_BYTES = 128 * 1024;
    /** Runs at least this long are written directly when aligned; shorter ones are not worth a synchronous disk write. */
    private static final int MIN_DIRECT_BYTES = 256 * 1024;
    /**
     * Which files are decoded in parts on several cores ({@link LtxPartsDecoder}): those of at
     * least {@code minFileBytes}, cut into up to {@code parts} parts of at least
     * {@code minPartBytes}.
     */
    record Split(long minFileBytes, long minPartBytes, int parts) {
        /**
         * Files of 8 MiB and more, on every core: a snapshot or a compacted level is often most of
         * a plan, and decoded on one core it is the restore's serial tail.
         */
        static final Split DEFAULT = new Split(8L << 20, 2L << 20, Runtime.getRuntime().availableProcessors());
    }

    private final ReplicaClient client;
    /** The replica's location, for file names in errors: asked once (a file replica's costs a stat call). */
    private final String location;
    private final List<LtxFileInfo> files;
    private final Prefetcher prefetcher;
    private final FileChannel channel;
    private final Path output;
    /** The output opened with O_DIRECT, once the newest file's claim shows the database is big enough; else null. */
    private volatile FileChannel direct;
    private final int alignment;
    private final boolean local;
    /** Each file's header and page index, once read (before it is claimed). */
    private final LtxPageReader[] indexes;
    /** Made when the newest file is claimed (its commit is the database's size); guarded by {@code this}. */
    private PageOwners owners;
    private int pageSize;
    /** Each page's checksum, set by the one worker that writes it. */
    private long[] pageSums;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    /** The last file's post-apply checksum, as verified by its decoder. */
    private volatile long postApply;
    private final Split split;
    private final OutputWriting writing;
    /** Made with {@link #direct}'s decision, for a database big enough and written through the page cache; else null. */
    private volatile EarlyWriteback writeback;
    private final LongAdder directBytes = new LongAdder();
    /** Runs the parts of a big file beyond the first (which its worker decodes itself); null for one part. */
    private ExecutorService partPool;

    private PlanApplier(ReplicaClient client, List<LtxFileInfo> files, Prefetcher prefetcher, Path output, FileChannel channel,
            int alignment, Split split, OutputWriting writing) {
        this.client = client;
        this.writing = writing;
        this.location = client.location();
        this.split = split;
        this.files = files;
        this.prefetcher = prefetcher;
        this.channel = channel;
        this.output = output;
        this.alignment = alignment;
        this.local = client.capability(LocalFiles.class).isPresent();
        this.indexes = new LtxPageReader[files.size()];
    }

    /**
     * Applies {@code files} (a plan, oldest first, not empty) to {@code channel}, an empty file at
     * {@code output}, writing it as {@code writing} says.
     */
    static Applied apply(ReplicaClient client, List<LtxFileInfo> files, Prefetcher prefetcher, Path output, FileChannel channel,
            int parallelism, int workers, Split split, OutputWriting writing) throws IOException {
        PlanApplier applier = new PlanApplier(client, files, prefetcher, output, channel, blockSize(output), split, writing);
        try {
            return applier.run(parallelism, workers);
        } finally {
            EarlyWriteback w = applier.writeback;
            if (w != null) {
                w.close();
            }
            FileChannel direct = applier.direct;
            if (direct != null) {
                direct.close();
            }
        }
    }

    /**
     * Daemon threads named {@code prefix0}, {@code prefix1}, ...: counted here, since the JDK's
     * thread builder counts with a VarHandle whose classes each restore spun at run time.
     */
    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> Thread.ofPlatform().name(prefix.concat(Integer.toString(count.getAndIncrement()))).daemon().unstarted(task);
    }

    private static int blockSize(Path file) {
        try {
            return (int) Math.max(4096, Math.min(java.nio.file.Files.getFileStore(file).getBlockSize(), 1 << 16));
        } catch (IOException | UnsupportedOperationException e) {
            return 4096;
        }
    }

    /** The file opened for direct writes, or null where the file system does not allow them. */
    private static FileChannel openDirect(Path file) {
        try {
            return FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "{0}: no direct I/O ({1}); writing through the page cache", file, e.toString());
            return null;
        }
    }

    private String name(int i) {
        LtxFileInfo f = files.get(i);
        return location + " level " + f.level() + " file " + f.fileName();
    }

    private static LtxPageReader readIndex(Path file, LtxFileInfo f, String name) throws IOException {
        try {
            return LtxPageReader.open(ByteRangeReader.of(file), name);
        } catch (io.litestream4j.ltx.LtxFormatException e) {
            // Read from its end, a damaged file gives a confusing error ("page index length: ...,
            // got <garbage>" for a truncated one): read it from the start as the decoder does,
            // whose error says what is wrong where ("truncated at offset ...").
            try (LtxDecoder d = new LtxDecoder(java.nio.file.Files.newInputStream(file), name)) {
                d.verify();
            } catch (RuntimeException decoderFailure) {
                e.addSuppressed(decoderFailure);
            }
            throw e;
        } catch (NoSuchFileException e) {
            throw new GoneException(name, f, e);
        } catch (RuntimeException e) {
            throw new IOException("%s: unreadable: %s".formatted(name, e), e);
        }
    }

    /**
     * Gives file {@code i} its pages, once every newer file has had its own (a worker with an
     * older file waits here: the newer ones are taken earlier, so their claims never wait on it).
     */
    private synchronized void claim(int i, LtxPageReader index) throws IOException {
        while (owners == null ? i != files.size() - 1 : owners.next() != i) {
            if (failure.get() != null) {
                throw new IOException("restore stopped: another file failed");
            }
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while restoring");
            }
        }
        LtxHeader h = index.header();
        if (owners == null) {
            pageSize = h.pageSize();
            owners = new PageOwners(files.size(), h.commit());
            pageSums = new long[h.commit()];
            long size = (long) h.commit() * pageSize;
            // Decided here, before the first page is written: the newest file's commit is the database's size.
            if (writing.direct(size)) {
                direct = openDirect(output);
            }
            if (direct == null && writing.writeback(size)) {
                writeback = new EarlyWriteback(channel, writing.writebackEvery());
            }
            // The final length first: pages no file holds stay zeros, and writes may land in any order.
            ByteBuffer zero = ByteBuffer.allocate(1);
            while (size > 0 && zero.hasRemaining()) {
                channel.write(zero, size - 1);
            }
        } else if (h.pageSize() != pageSize) {
            throw new IOException("%s: page size %d differs from the newest file's %d".formatted(name(i), h.pageSize(), pageSize));
        }
        PageIndex pages = index.index();
        owners.claim(i, new PageOwners.FilePages(h.commit(), IntStream.range(0, pages.size()).map(pages::pgno).toArray()));
        indexes[i] = index;
        notifyAll();
    }

    private Applied run(int parallelism, int workers) throws IOException {
        int[] order;
        if (local) {
            // Local files: every index first (three small reads each), so the biggest files can start at once.
            LocalFiles replica = client.capability(LocalFiles.class).orElseThrow();
            List<LtxPageReader> read = Parallel.map(IntStream.range(0, files.size()).boxed().toList(), parallelism,
                    i -> readIndex(replica.localPath(files.get(i).level(), files.get(i).range()), files.get(i), name(i)));
            for (int i = files.size() - 1; i >= 0; i--) {
                claim(i, read.get(i));
            }
            // Plain lambdas for the order: Comparator's combinators cost each restore classes spun at run time (LtxFileInfo.BY_TXIDS).
            order = IntStream.range(0, files.size()).boxed().sorted((x, y) -> Long.compare(files.get(y).size(), files.get(x).size()))
                    .mapToInt(Integer::intValue).toArray();
        } else {
            // Downloads: newest first, each file's index read from its download and claimed before
            // it is decoded; but the biggest file (a snapshot or a compaction, usually the oldest)
            // is downloaded first, so that it is not fetched alone at the end. Its worker then
            // waits for its claim; one more worker than asked keeps the others going meanwhile.
            int n = files.size();
            int biggest = IntStream.range(0, n).boxed().max((x, y) -> Long.compare(files.get(x).size(), files.get(y).size())).orElseThrow();
            order = IntStream.concat(IntStream.of(biggest), IntStream.range(0, n).map(k -> n - 1 - k).filter(i -> i != biggest)).toArray();
            workers++;
        }
        prefetcher.reset(IntStream.of(order).mapToObj(files::get).toList()); // the prefetcher's file k is order[k]
        AtomicInteger next = new AtomicInteger();
        int threads = Math.max(1, Math.min(workers, files.size()));
        List<Future<Long>> done = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads, daemonThreads("restore-apply-"));
        if (split.parts() > 1) {
            partPool = Executors.newFixedThreadPool(split.parts() - 1, daemonThreads("restore-part-"));
        }
        try {
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> work(order, next)));
            }
            long pages = 0;
            for (Future<Long> f : done) {
                try {
                    pages += f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failure.compareAndSet(null, e.getCause());
                }
            }
            Throwable t = failure.get();
            if (t != null) {
                throw t instanceof IOException io ? io : new IOException("restore: " + t, t);
            }
            EarlyWriteback w = writeback;
            if (w != null) {
                w.finish();
            }
            return new Applied(pages, checksum(), postApply, files.stream().mapToLong(LtxFileInfo::size).sum(), directBytes.sum());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, e);
            throw new InterruptedIOException("interrupted while restoring");
        } finally {
            pool.shutdownNow();
            if (partPool != null) {
                partPool.shutdownNow();
            }
        }
    }

    /** One worker: files until none is left or another worker failed; returns the pages written. */
    private long work(int[] order, AtomicInteger next) throws IOException {
        RunWriter out = null;
        long pages = 0;
        try {
            for (int k = next.getAndIncrement(); k < order.length && failure.get() == null; k = next.getAndIncrement()) {
                Prefetcher.Fetched fetched = fetch(k, order[k]);
                try {
                    if (!local) {
                        claim(order[k], readIndex(fetched.path(), files.get(order[k]), name(order[k])));
                    }
                    if (out == null) {
                        out = new RunWriter(); // the page size is known once the newest file is claimed
                    }
                    pages += applyFile(order[k], fetched.path(), out);
                } finally {
                    fetched.release();
                }
            }
            return pages;
        } catch (IOException | RuntimeException | Error e) {
            failure.compareAndSet(null, e);
            throw e;
        }
    }

    private Prefetcher.Fetched fetch(int k, int i) throws IOException {
        try {
            return prefetcher.fetch(k);
        } catch (NoSuchFileException e) {
            throw new GoneException(name(i), files.get(i), e);
        }
    }

    private long applyFile(int i, Path file, RunWriter out) throws IOException {
        if (partPool != null && files.get(i).size() >= split.minFileBytes()) {
            return applyInParts(i, file, out);
        }
        String name = name(i);
        byte[] page = out.page;
        long written = 0;
        InputStream in;
        try {
            in = java.nio.file.Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new GoneException(name, files.get(i), e);
        }
        try (LtxDecoder d = new LtxDecoder(in, name, out.input())) {
            LtxHeader planned = indexes[i].header();
            if (d.header().commit() != planned.commit() || d.header().pageSize() != pageSize) {
                throw new IOException("%s: header changed between reading its index and the file: commit %d, page size %d, want %d, %d"
                        .formatted(name, d.header().commit(), d.header().pageSize(), planned.commit(), pageSize));
            }
            int pgno;
            while ((pgno = d.readPage(page)) != 0) {
                if (owners.writes(i, pgno)) {
                    out.add(pgno, page);
                    pageSums[pgno - 1] = Checksums.ofPageCrc(pgno, d.lastPageCrc(), pageSize);
                    written++;
                }
            }
            out.flush();
            checkSameIndex(name, indexes[i].index(), d.pageIndex());
            if (i == files.size() - 1) {
                postApply = d.trailer().postApplyChecksum();
            }
        } catch (RuntimeException e) {
            // Corrupt data that slipped past a format check must still end as an error naming the file.
            throw new IOException("%s: unreadable: %s".formatted(name, e), e);
        }
        return written;
    }

    /**
     * Applies file {@code i} as {@link #applyFile} does, decoded in parts: the first on this
     * thread, the others on {@link #partPool}, each writing through its own buffer; verified
     * completely once all are done.
     */
    private long applyInParts(int i, Path file, RunWriter out) throws IOException {
        String name = name(i);
        LtxPartsDecoder decoder = new LtxPartsDecoder(file, name, indexes[i]);
        int[] bounds = decoder.split(split.parts(), split.minPartBytes());
        List<Future<PartApplied>> others = new ArrayList<>();
        for (int k = 1; k < bounds.length - 1; k++) {
            int from = bounds[k], to = bounds[k + 1];
            others.add(partPool.submit(() -> applyPart(i, decoder, from, to, new RunWriter())));
        }
        List<LtxPartsDecoder.Part> decoded = new ArrayList<>();
        long written = 0;
        Throwable failed = null;
        try {
            PartApplied first = applyPart(i, decoder, bounds[0], bounds[1], out);
            decoded.add(first.part());
            written += first.written();
        } catch (IOException | RuntimeException e) {
            failed = e;
        }
        for (Future<PartApplied> f : others) {
            try {
                PartApplied p = f.get();
                decoded.add(p.part());
                written += p.written();
            } catch (java.util.concurrent.ExecutionException e) {
                failed = failed == null ? e.getCause() : failed;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while restoring " + name);
            }
        }
        try {
            switch (failed) {
                case null -> {}
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new IOException("%s: %s".formatted(name, failed), failed);
            }
            LtxTrailer trailer = decoder.verify(decoded);
            if (i == files.size() - 1) {
                postApply = trailer.postApplyChecksum();
            }
            return written;
        } catch (NoSuchFileException e) {
            throw new GoneException(name, files.get(i), e);
        } catch (RuntimeException e) {
            // Corrupt data that slipped past a format check must still end as an error naming the file.
            throw new IOException("%s: unreadable: %s".formatted(name, e), e);
        }
    }

    private record PartApplied(LtxPartsDecoder.Part part, long written) {}

    /** Decodes entries {@code [from, to)} of file {@code i}, writing the pages it owns through {@code out}. */
    private PartApplied applyPart(int i, LtxPartsDecoder decoder, int from, int to, RunWriter out) throws IOException {
        long[] written = {0};
        LtxPartsDecoder.Part part = decoder.decode(from, to, (pgno, data, dataCrc) -> {
            if (owners.writes(i, pgno)) {
                out.add(pgno, data);
                pageSums[pgno - 1] = Checksums.ofPageCrc(pgno, dataCrc, pageSize);
                written[0]++;
            }
        });
        out.flush();
        return new PartApplied(part, written[0]);
    }

    /** The plan was made from an index read before the file was verified: it must be the verified one. */
    private static void checkSameIndex(String name, PageIndex planned, PageIndex verified) throws IOException {
        if (!planned.sameEntries(verified)) {
            throw new IOException("%s: page index changed between planning (%d pages) and applying (%d pages)".formatted(name, planned.size(),
                    verified.size()));
        }
    }

    private long checksum() {
        DatabaseChecksum total = new DatabaseChecksum();
        int lock = PageSizes.lockPgno(pageSize);
        long zeroCrc = io.litestream4j.ltx.Crc64.of(new byte[pageSize]);
        for (int pgno = 1; pgno <= owners.pageCount(); pgno++) {
            if (owners.isOwned(pgno)) {
                total.add(pageSums[pgno - 1]);
            } else if (pgno != lock) {
                total.add(Checksums.ofPageCrc(pgno, zeroCrc, pageSize)); // a page of zeros, as SQLite reads it
            }
        }
        return total.value();
    }

    /**
     * One worker's buffers: the run buffer, which gathers consecutive pages and writes each run
     * with one call, and the decoder's read buffer and page, reused for every file the worker
     * decodes (allocated per file, they were 5 MB of the 15 MB of garbage a 257 MiB restore of
     * 196 L0 files made itself, by JFR's allocation samples).
     */
    private final class RunWriter {
        private final ByteBuffer buffer;
        final byte[] page = new byte[pageSize];
        /** Made on first use: the writers of a big file's parts decode no whole file. */
        private byte[] input;
        private int firstPgno;
        private int lastPgno;

        byte[] input() {
            if (input == null) {
                input = new byte[INPUT_BYTES];
            }
            return input;
        }

        RunWriter() {
            int capacity = Math.max(RUN_BYTES / pageSize, 1) * pageSize;
            buffer = ByteBuffer.allocateDirect(capacity + alignment).alignedSlice(alignment).limit(capacity).slice();
        }

        void add(int pgno, byte[] page) throws IOException {
            if (buffer.position() > 0 && (pgno != lastPgno + 1 || !buffer.hasRemaining())) {
                flush();
            }
            if (buffer.position() == 0) {
                firstPgno = pgno;
            }
            buffer.put(page, 0, pageSize);
            lastPgno = pgno;
        }

        void flush() throws IOException {
            if (buffer.position() == 0) {
                return;
            }
            buffer.flip();
            long position = (long) (firstPgno - 1) * pageSize;
            FileChannel direct = PlanApplier.this.direct;
            boolean aligned = direct != null && buffer.remaining() >= MIN_DIRECT_BYTES && position % alignment == 0
                    && buffer.remaining() % alignment == 0;
            FileChannel target = aligned ? direct : channel;
            int length = buffer.remaining();
            while (buffer.hasRemaining()) {
                target.write(buffer, position + buffer.position());
            }
            if (aligned) {
                directBytes.add(length);
            } else {
                EarlyWriteback w = writeback;
                if (w != null) {
                    w.wrote(length);
                }
            }
            buffer.clear();
        }
    }
}
