package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Rebuilds a database from a replica: applies the planned files to {@code <output>.tmp}, each page
 * written once from the newest file holding it and files decoded on every core
 * ({@link PlanApplier}), verifying every file completely and the whole result against the last
 * file's database checksum, then fsyncs and renames it into place. On any failure the temporary
 * file is removed and the output is untouched. Memory: per core one page and a 1 MiB write
 * buffer, plus one int and one long per page of the database (12 MiB for 1 GiB of 4 KiB pages).
 */
public final class Restorer {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(Restorer.class);

    /**
     * Re-plans allowed in a row that each miss the same file: a file that is listed but cannot be
     * read would otherwise make the same plan again forever. Retention removing planned files
     * races a restore at most a few times; a different missing file starts the count again.
     */
    static final int MAX_REPLANS_WITHOUT_PROGRESS = 3;
    /** Threads decoding, verifying and writing files: one per core. */
    private static final int WORKERS = Runtime.getRuntime().availableProcessors();

    private Restorer() {}

    /** What a restore did: {@code pages} counts pages written, each once (pages that newer files replace are read and verified only). */
    public record Result(long txid, int files, long bytes, long pages, boolean checksumVerified) {}

    public static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options) throws IOException {
        return restore(client, plan, options, 8);
    }

    /**
     * Restores {@code plan}, downloading up to {@code parallelism} files ahead of those being
     * applied. If a planned file disappears mid-restore (retention removed it), the restore is
     * planned again through the higher levels that now cover it.
     */
    public static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options, int parallelism) throws IOException {
        return restore(client, plan, options, parallelism, PlanApplier.Split.DEFAULT);
    }

    /** {@link #restore(ReplicaClient, RestorePlan, RestoreOptions, int)}, deciding which files are decoded in parts (tests split small files). */
    static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options, int parallelism, PlanApplier.Split split)
            throws IOException {
        return restore(client, plan, options, parallelism, split, OutputWriting.fromSystemProperties());
    }

    /** {@link #restore(ReplicaClient, RestorePlan, RestoreOptions, int, PlanApplier.Split)}, choosing when O_DIRECT is used (tests use both ways). */
    static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options, int parallelism, PlanApplier.Split split,
            OutputWriting writing) throws IOException {
        Path out = options.output().toAbsolutePath();
        Path wal = out.resolveSibling(out.getFileName() + "-wal");
        Path shm = out.resolveSibling(out.getFileName() + "-shm");
        if (!options.force()) {
            for (Path p : new Path[] {out, wal, shm}) {
                if (Files.exists(p)) {
                    throw new FileAlreadyExistsException(p.toString(), null, "output exists; use -force to replace it");
                }
            }
        }
        Files.createDirectories(out.getParent());
        Path tmp = out.resolveSibling(out.getFileName() + AtomicFiles.TEMP_SUFFIX);
        Path downloads = out.resolveSibling(out.getFileName() + ".download");
        try {
            Files.createDirectories(downloads);
            Result result;
            try (Prefetcher prefetcher = new Prefetcher(client, parallelism, downloads)) {
                result = apply(client, plan, options.txid(), tmp, prefetcher, parallelism, split, writing);
            }
            check(tmp, options.integrityCheck());
            Files.deleteIfExists(wal);
            Files.deleteIfExists(shm);
            AtomicFiles.moveDurably(tmp, out);
            dropStaleLocalState(out);
            try {
                cleanUp(tmp, downloads);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "restored {0}, but removing {1} failed: {2}", out, downloads, e.toString());
            }
            return result;
        } catch (Throwable e) {
            try {
                cleanUp(tmp, downloads);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup); // the restore's own failure is the one to report
            }
            throw e;
        }
    }

    /** Removes the temporary output and the download folder. */
    private static void cleanUp(Path tmp, Path downloads) throws IOException {
        Files.deleteIfExists(tmp);
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-wal"));
        Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-shm"));
        deleteTree(downloads);
    }

    /**
     * Applies the plan with {@link PlanApplier}; if a planned file is gone (retention removed it),
     * plans the whole restore again, through the higher levels that now cover it, and starts over.
     */
    private static Result apply(ReplicaClient client, RestorePlan plan, OptionalLong target, Path tmp, Prefetcher prefetcher, int parallelism,
            PlanApplier.Split split, OutputWriting writing) throws IOException {
        RestorePlan current = plan;
        int replansForTheSameFile = 0;
        LtxFileInfo lastGone = null;
        while (true) {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                List<LtxFileInfo> queue = current.files();
                if (queue.isEmpty()) {
                    ch.force(true);
                    return new Result(current.txid(), 0, 0, 0, false);
                }
                PlanApplier.Applied applied = PlanApplier.apply(client, queue, prefetcher, tmp, ch, parallelism, WORKERS, split, writing);
                ch.force(true);
                boolean verified = false;
                if (applied.postApply() != 0) {
                    // Each page's checksum was taken as it was written: no second pass over the file.
                    if (applied.checksum() != applied.postApply()) {
                        throw new IOException("restored database checksum mismatch at TXID %s: want %s (from the last file), got %s"
                                .formatted(Txid.format(current.txid()), Checksums.format(applied.postApply()), Checksums.format(applied.checksum())));
                    }
                    verified = true;
                }
                return new Result(current.txid(), queue.size(), applied.bytes(), applied.pagesWritten(), verified);
            } catch (PlanApplier.GoneException gone) {
                replansForTheSameFile = gone.file.equals(lastGone) ? replansForTheSameFile + 1 : 1;
                lastGone = gone.file;
                if (replansForTheSameFile > MAX_REPLANS_WITHOUT_PROGRESS) {
                    throw new IOException("%s is listed but cannot be read (%d plans all needed it): %s"
                            .formatted(gone.name, MAX_REPLANS_WITHOUT_PROGRESS, gone.getCause().getMessage()), gone);
                }
                LOG.log(System.Logger.Level.INFO, "{0} is gone (retention?); planning the restore again", gone.name);
                // A restore of the newest state plans to the newest again: the TXID first planned
                // may now lie inside a file compaction merged (its level-0 files were what retention
                // removed), and a newer state is what was asked for. A chosen TXID or time keeps
                // its TXID, and fails if that is no longer restorable.
                current = RestorePlanner.plan(client.location(), RestorePlanner.listAll(client), 0,
                        target.isPresent() ? OptionalLong.of(current.txid()) : target);
            }
        }
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void check(Path db, RestoreOptions.IntegrityCheck mode) throws IOException {
        if (mode == RestoreOptions.IntegrityCheck.NONE) {
            return;
        }
        String pragma = mode == RestoreOptions.IntegrityCheck.QUICK ? "PRAGMA quick_check" : "PRAGMA integrity_check";
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(pragma)) {
            StringBuilder problems = new StringBuilder();
            while (rs.next()) {
                String line = rs.getString(1);
                if (!"ok".equals(line)) {
                    problems.append(problems.isEmpty() ? "" : "; ").append(line);
                }
            }
            if (!problems.isEmpty()) {
                throw new IOException("restored database fails %s: %s".formatted(pragma, problems));
            }
        } catch (SQLException e) {
            throw new IOException("restored database: %s failed: %s".formatted(pragma, e.getMessage()), e);
        }
    }

    /** A restored database is new to replication: local state from an earlier life would not match it. */
    static void dropStaleLocalState(Path db) throws IOException {
        deleteTree(db.resolveSibling("." + db.getFileName() + "-litestream"));
    }
}
