package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaDeletes;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.Prefetcher;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxCompactor;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.Txid;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Compaction, snapshots and retention on one replica.
 *
 * <p>Guarantees: an output is streamed through a temporary local file (memory holds one page per
 * input), uploaded, then read back from the replica and fully verified (file checksum, and
 * database checksums when present) before anything may rely on it; inputs are never deleted
 * here, only by {@link #enforceRetention}, which deletes nothing a point-in-time restore inside
 * the retention window needs.
 */
public final class ReplicaCompactor {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicaCompactor.class);

    /** Inputs merged at once: bounds open files and decoder buffers (32 KiB each) whatever the run's length. */
    static final int FAN_IN = 64;
    private static final int DOWNLOAD_PARALLELISM = 4;

    private final ReplicaClient client;
    private final Path tempDir;

    public ReplicaCompactor(ReplicaClient client, Path tempDir) {
        this.client = client;
        this.tempDir = tempDir;
    }

    public ReplicaClient client() {
        return client;
    }

    /** Highest max TXID in a level, 0 if it is empty. */
    long maxTxid(int level) throws IOException {
        return client.listFiles(level, 0).stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
    }

    /** Merges the run of files in level {@code dst - 1} after level {@code dst}'s newest into one file. */
    public Optional<LtxFileInfo> compact(int dst) throws IOException {
        if (dst < 1 || dst >= LtxFileInfo.SNAPSHOT_LEVEL) {
            throw new IllegalArgumentException("compaction level: want 1 to 8, got " + dst);
        }
        WriteOnly.requireReadable(client, "compaction into level " + dst);
        long after = maxTxid(dst);
        List<LtxFileInfo> run = new ArrayList<>();
        for (LtxFileInfo f : client.listFiles(dst - 1, after + 1)) {
            if (Long.compareUnsigned(f.maxTxid(), after) <= 0) {
                continue;
            }
            if (!run.isEmpty() && !run.getLast().range().continuesWith(f.range())) {
                break;
            }
            run.add(f);
        }
        if (run.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(merge(run, dst));
    }

    /**
     * Writes a snapshot (level 9, TXIDs 1 to the newest) by merging the fewest files that rebuild
     * the newest state; empty if the newest snapshot is already current.
     */
    public Optional<LtxFileInfo> snapshot() throws IOException {
        WriteOnly.requireReadable(client, "a snapshot merged from the replica's files");
        List<LtxFileInfo> all = RestorePlanner.listAll(client);
        long newest = all.stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
        if (newest == 0 || newest == maxTxid(LtxFileInfo.SNAPSHOT_LEVEL)) {
            return Optional.empty();
        }
        List<LtxFileInfo> chain = RestorePlanner.plan(client.location(), all, 0, OptionalLong.of(newest)).files();
        return Optional.of(merge(chain, LtxFileInfo.SNAPSHOT_LEVEL));
    }

    /**
     * Empties a compaction temporary folder. Called when a replicator starts, before any
     * compaction runs: a process killed during a merge leaves files behind, a snapshot's as big
     * as the database. A file that cannot be removed is logged, not fatal.
     */
    public static void clearTempDir(Path tempDir) {
        if (!Files.isDirectory(tempDir)) {
            return;
        }
        try (var walk = Files.walk(tempDir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(tempDir)).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "removing leftover compaction file {0}: {1}", p, e.toString());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "removing leftover compaction files in {0}: {1}", tempDir, e.toString());
        }
    }

    private LtxFileInfo merge(List<LtxFileInfo> inputs, int level) throws IOException {
        TxidRange range = new TxidRange(inputs.getFirst().minTxid(), inputs.getLast().maxTxid());
        String name = "%s level %d file %s".formatted(client.location(), level, range.fileName());
        Files.createDirectories(tempDir);
        // Each merge works in a folder of its own, removed whole when it ends, whatever it left.
        Path work = Files.createTempDirectory(tempDir, "compact-");
        try {
            return merge(inputs, level, range, name, work);
        } finally {
            clearTempDir(work);
            Files.deleteIfExists(work);
        }
    }

    private LtxFileInfo merge(List<LtxFileInfo> inputs, int level, TxidRange range, String name, Path work) throws IOException {
        Path tmp = Files.createTempFile(work, "compact-", ".ltx");
        List<Path> partials = new ArrayList<>();
        try {
            // Inputs are downloaded to local files first (a few at a time), never held open on the
            // store: an HTTP client has a bounded pool, and uploads must not wait behind a merge.
            try (Prefetcher inputFiles = new Prefetcher(client, DOWNLOAD_PARALLELISM, work)) {
                inputFiles.reset(inputs);
                for (int start = 0; start < inputs.size(); start += FAN_IN) {
                    int end = Math.min(inputs.size(), start + FAN_IN);
                    List<InputStream> streams = new ArrayList<>();
                    try {
                        for (int i = start; i < end; i++) {
                            streams.add(inputFiles.open(i));
                        }
                        Path out = inputs.size() <= FAN_IN ? tmp : Files.createTempFile(work, "partial-", ".ltx");
                        if (out != tmp) {
                            partials.add(out);
                        }
                        compactInto(streams, inputs.subList(start, end), out, name);
                    } finally {
                        for (InputStream in : streams) {
                            in.close();
                        }
                    }
                }
            }
            // More inputs than one merge takes: merge the partial results, FAN_IN at a time.
            while (!partials.isEmpty()) {
                List<Path> next = new ArrayList<>();
                for (int start = 0; start < partials.size(); start += FAN_IN) {
                    List<Path> group = partials.subList(start, Math.min(partials.size(), start + FAN_IN));
                    Path out = partials.size() <= FAN_IN ? tmp : Files.createTempFile(work, "partial-", ".ltx");
                    List<InputStream> streams = new ArrayList<>();
                    try {
                        for (Path p : group) {
                            streams.add(Files.newInputStream(p));
                        }
                        compactInto(streams, null, out, name);
                    } finally {
                        for (InputStream in : streams) {
                            in.close();
                        }
                    }
                    if (out != tmp) {
                        next.add(out);
                    }
                }
                for (Path p : partials) {
                    Files.deleteIfExists(p);
                }
                partials = next;
            }
            long timestamp;
            try (LtxDecoder merged = new LtxDecoder(Files.newInputStream(tmp), name)) {
                timestamp = merged.header().timestamp();
            }
            LtxFileInfo info;
            try (InputStream in = Files.newInputStream(tmp)) {
                info = client.write(level, range, in, Files.size(tmp), Instant.ofEpochMilli(timestamp));
            }
            verify(level, range, name);
            LOG.log(System.Logger.Level.INFO, "compacted {0} files into {1}", inputs.size(), name);
            return info;
        } finally {
            Files.deleteIfExists(tmp);
            for (Path p : partials) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Merges {@code streams} (LTX files, in TXID order) into {@code out}; the output carries the last input's timestamp. */
    private void compactInto(List<InputStream> streams, List<LtxFileInfo> infos, Path out, String name) throws IOException {
        List<LtxDecoder> decoders = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++) {
            String inputName = infos == null ? name + " (partial merge " + i + ")"
                    : "%s level %d file %s".formatted(client.location(), infos.get(i).level(), infos.get(i).fileName());
            decoders.add(new LtxDecoder(streams.get(i), inputName));
        }
        try (OutputStream o = new java.io.BufferedOutputStream(io.litestream4j.core.NamedOutputStream.open(out), 1 << 16)) {
            LtxCompactor.compact(decoders, o, name);
        }
    }

    /** Reads a written file back from the replica and verifies it; a bad one is deleted and reported. */
    private void verify(int level, TxidRange range, String name) throws IOException {
        try (LtxDecoder d = new LtxDecoder(client.open(level, range), name)) {
            d.verify();
            if (level == LtxFileInfo.SNAPSHOT_LEVEL && !d.header().isSnapshot()) {
                throw new IOException(name + ": a snapshot must start at TXID 1");
            }
        } catch (IOException e) {
            client.delete(level, range);
            throw new IOException("compaction output failed verification and was deleted: " + e.getMessage(), e);
        }
    }

    /**
     * Deletes what the retention rules allow and nothing a point-in-time restore inside the
     * retention window needs (see {@link RetentionPlanner}): the restores of the window's edges
     * are planned against the files that would remain before anything is deleted.
     */
    public void enforceRetention(Instant now, CompactionSettings settings) throws IOException {
        retain(now, settings);
    }

    /**
     * {@link #enforceRetention}; returns until when a run over the same files would delete
     * nothing and propose nothing ({@link RetentionPlanner.Plan#quietUntil}).
     */
    Instant retain(Instant now, CompactionSettings settings) throws IOException {
        RetentionPlanner.Plan plan = RetentionPlanner.plan(client.location(), RestorePlanner.listAll(client), now, settings);
        List<LtxFileInfo> doomed = plan.deletable();
        for (int level = LtxFileInfo.MAX_LEVEL; level >= 0; level--) {
            int l = level;
            deleteAll(level, doomed.stream().filter(f -> f.level() == l).toList());
        }
        return plan.quietUntil();
    }

    private void deleteAll(int level, List<LtxFileInfo> files) throws IOException {
        if (!files.isEmpty()) {
            ReplicaDeletes.delete(client, level, files.stream().map(LtxFileInfo::range).toList());
            LOG.log(System.Logger.Level.DEBUG, "retention deleted {0} files from level {1} of {2}", files.size(), level, client.location());
        }
    }
}
