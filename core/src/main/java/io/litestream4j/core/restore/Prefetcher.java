package io.litestream4j.core.restore;

import io.litestream4j.core.replica.LocalFiles;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Downloads the files of a restore plan ahead of the one being applied, up to {@code parallelism}
 * at a time, into temporary files beside the output (so memory does not grow with the data), and
 * hands them out in plan order. Files of a {@link LocalFiles} replica are read in place. Threads
 * may open files of the current plan concurrently; {@link #reset} and {@link #close} must not run
 * while they do.
 *
 * <p>A download's file, once its reader gives it back, is emptied and kept for a later download
 * rather than deleted: a restore of a thousand L0 files then makes about {@code parallelism} + 1
 * files, not a thousand. Making a file right after many were deleted is what cost: ext4 without a
 * journal skips every inode freed in the last minute or more when it allocates one, reading the
 * inode table to know it (a 1 GiB restore of 940 files from S3Proxy spent about 0.9 s of CPU in
 * {@code open}, docs/benchmarks.md).
 */
public final class Prefetcher implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(Prefetcher.class);
    /** How long {@link #close} waits for cancelled downloads to end: an interrupted request ends far sooner. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(30);
    /** Tries per file download, and the wait before the second (the third waits twice as long). */
    static final int DOWNLOAD_ATTEMPTS = 3;
    static final Duration DOWNLOAD_RETRY_WAIT = Duration.ofMillis(200);

    private final ReplicaClient client;
    private final int parallelism;
    private final Path tempDir;
    private final ExecutorService pool;
    private List<LtxFileInfo> files = List.of();
    private final List<CompletableFuture<Path>> downloads = new ArrayList<>();
    /** Every temporary file this prefetcher made (others may share the folder). */
    private final java.util.Queue<Path> created = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Files given back by their readers, empty, for the next downloads. */
    private final java.util.Queue<Path> spare = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private int nextToStart;

    public Prefetcher(ReplicaClient client, int parallelism, Path tempDir) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("-parallelism: want at least 1, got " + parallelism);
        }
        this.client = client;
        this.parallelism = parallelism;
        this.tempDir = tempDir;
        this.pool = Executors.newVirtualThreadPerTaskExecutor();
    }

    /** Starts over with a new list of files (after a re-plan). */
    public synchronized void reset(List<LtxFileInfo> plan) {
        downloads.stream().filter(d -> d != null).forEach(d -> d.cancel(true));
        downloads.clear();
        files = plan;
        nextToStart = 0;
        for (int i = 0; i < plan.size(); i++) {
            downloads.add(null);
        }
    }

    /**
     * A planned file on this machine: the replica's own file ({@code downloadedBy} null), or a
     * temporary download that {@link #release} gives back to the prefetcher that made it.
     */
    public record Fetched(Path path, Prefetcher downloadedBy) {
        /** Gives a temporary download back, to be emptied and reused: read nothing of it afterwards. The replica's own file stays. */
        public void release() throws IOException {
            if (downloadedBy != null) {
                downloadedBy.reuse(path);
            }
        }
    }

    /** Opens file {@code i} of the current plan, waiting for its download; closing it releases the download. */
    public InputStream open(int i) throws IOException {
        Fetched f = fetch(i);
        InputStream in = Files.newInputStream(f.path());
        return new java.io.FilterInputStream(in) {
            @Override
            public void close() throws IOException {
                super.close();
                f.release();
            }
        };
    }

    /** Empties a released download's file (its space freed now, as a deletion would) and keeps it for the next download. */
    private void reuse(Path p) throws IOException {
        try {
            FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING).close();
        } catch (NoSuchFileException closed) {
            return; // released after close(), which deleted it
        }
        spare.add(p);
    }

    /** File {@code i} of the current plan on this machine, waiting for its download. */
    public Fetched fetch(int i) throws IOException {
        LtxFileInfo f;
        synchronized (this) {
            f = files.get(i);
        }
        var local = client.capability(LocalFiles.class);
        if (local.isPresent()) {
            Path p = local.get().localPath(f.level(), f.range());
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString(), null, "ltx file not found in replica " + client.location());
            }
            return new Fetched(p, null);
        }
        CompletableFuture<Path> download = schedule(i);
        try {
            return new Fetched(download.get(), this);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException("download " + f.fileName() + ": " + c, c);
        } catch (java.util.concurrent.CancellationException e) {
            throw new IOException("download " + f.fileName() + " was cancelled", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + f.fileName(), e);
        }
    }

    /** Starts the downloads up to {@code parallelism} files past {@code i}; returns file {@code i}'s. */
    private synchronized CompletableFuture<Path> schedule(int i) {
        while (nextToStart < files.size() && nextToStart < i + parallelism) {
            start(nextToStart++);
        }
        return downloads.get(i);
    }

    private void start(int i) {
        LtxFileInfo f = files.get(i);
        downloads.set(i, CompletableFuture.supplyAsync(() -> {
            try {
                Path p = spare.poll();
                if (p == null) {
                    p = Files.createTempFile(tempDir, "download-", ".ltx");
                    created.add(p);
                }
                download(f, p);
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, pool));
    }

    /**
     * Copies {@code f} into {@code p}, trying again after a failure that may pass (a reset
     * connection, a 503): a compaction or restore reads dozens of files, and one blip in any of
     * them would otherwise throw the whole run away. A missing file fails at once (the plan is
     * stale: the caller re-plans), and so does an interrupt (a stop).
     */
    private void download(LtxFileInfo f, Path p) throws IOException {
        for (int attempt = 1; ; attempt++) {
            // Into the file as it is, emptied: Files.copy with REPLACE_EXISTING would delete it and make another.
            try (InputStream in = client.open(f.level(), f.range());
                    OutputStream out = Files.newOutputStream(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                in.transferTo(out);
                return;
            } catch (NoSuchFileException | java.io.InterruptedIOException | java.nio.channels.ClosedByInterruptException e) {
                throw e;
            } catch (IOException e) {
                if (attempt >= DOWNLOAD_ATTEMPTS || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                Duration wait = DOWNLOAD_RETRY_WAIT.multipliedBy(attempt);
                LOG.log(System.Logger.Level.DEBUG, "{0}: download {1} failed (attempt {2}), again in {3} ms: {4}", client.location(), f.fileName(),
                        attempt, wait.toMillis(), e.toString());
                try {
                    Thread.sleep(wait); // real time: the store's trouble, not ours, is what passes
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Stops the downloads and removes every file they made. Downloads still running are
     * interrupted and awaited first (up to {@link #SHUTDOWN_WAIT}): one finishing afterwards would
     * leave its file behind, and a folder its owner then fails to delete, hiding the error that
     * ended the restore.
     */
    @Override
    public void close() {
        downloads.stream().filter(d -> d != null).forEach(d -> d.cancel(true));
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "{0}: downloads still running {1} after they were cancelled; their files may stay in {2}",
                        client.location(), SHUTDOWN_WAIT, tempDir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Path p : created) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temporary file; the folder is cleared with the restore or the meta folder
            }
        }
    }
}
