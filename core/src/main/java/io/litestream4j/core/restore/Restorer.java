package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.PageChecksums;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
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
 * Rebuilds a database from a replica: applies the planned files in order to {@code <output>.tmp},
 * verifying each file as it streams in and the whole result against the last file's database
 * checksum, then fsyncs and renames it into place. On any failure the temporary file is removed
 * and the output is untouched. Memory holds one page, whatever the database size.
 */
public final class Restorer {
    private static final System.Logger LOG = System.getLogger(Restorer.class.getName());

    /**
     * Re-plans allowed in a row without getting further: a file that is listed but cannot be read
     * would otherwise make the same plan again forever. Retention removing planned files races a
     * restore at most a few times; each re-plan that gets further (a file applied since) resets it.
     */
    static final int MAX_REPLANS_WITHOUT_PROGRESS = 3;

    private Restorer() {}

    public record Result(long txid, int files, long bytes, long pages, boolean checksumVerified) {}

    public static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options) throws IOException {
        return restore(client, plan, options, 8);
    }

    /**
     * Restores {@code plan}, downloading up to {@code parallelism} files ahead of the one being
     * applied. If a planned file disappears mid-restore (retention removed it), the rest is
     * planned again from the TXID reached, through the higher levels that now cover it.
     */
    public static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options, int parallelism) throws IOException {
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
                result = apply(client, plan, tmp, prefetcher);
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

    private static Result apply(ReplicaClient client, RestorePlan plan, Path tmp, Prefetcher prefetcher) throws IOException {
        long bytes = 0;
        long pages = 0;
        long postApply = 0;
        int files = 0;
        long pos = 0;
        PageChecksums sums = null;
        List<LtxFileInfo> queue = plan.files();
        prefetcher.reset(queue);
        int replansWithoutProgress = 0;
        PageWriter writer = null;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            byte[] page = null;
            for (int i = 0; i < queue.size(); i++) {
                LtxFileInfo f = queue.get(i);
                String name = "%s level %d file %s".formatted(client.location(), f.level(), f.fileName());
                InputStream in;
                try {
                    in = prefetcher.open(i);
                } catch (NoSuchFileException gone) {
                    replansWithoutProgress = i == 0 ? replansWithoutProgress + 1 : 1;
                    if (replansWithoutProgress > MAX_REPLANS_WITHOUT_PROGRESS) {
                        throw new IOException("%s is listed but cannot be read (%d plans from TXID %s all needed it): %s"
                                .formatted(name, MAX_REPLANS_WITHOUT_PROGRESS, Txid.format(pos), gone.getMessage()), gone);
                    }
                    LOG.log(System.Logger.Level.INFO, "{0} is gone (retention?); planning the rest again from TXID {1}", name, Txid.format(pos));
                    queue = RestorePlanner.plan(client.location(), RestorePlanner.listAll(client), pos, OptionalLong.of(plan.txid())).files();
                    prefetcher.reset(queue);
                    i = -1;
                    continue;
                }
                try (LtxDecoder d = new LtxDecoder(in, name)) {
                    LtxHeader h = d.header();
                    if (sums == null) {
                        sums = new PageChecksums(h.pageSize());
                        page = new byte[h.pageSize()];
                        writer = new PageWriter(tmp, ch, h.pageSize());
                    } else if (h.pageSize() != page.length) {
                        throw new IOException("%s: page size %d differs from the snapshot's %d".formatted(name, h.pageSize(), page.length));
                    }
                    pages += applyPages(d, writer, sums, page);
                    postApply = d.trailer().postApplyChecksum();
                } catch (RuntimeException e) {
                    // Corrupt data that slipped past a format check must still end as an error naming the file.
                    throw new IOException("%s: unreadable: %s".formatted(name, e), e);
                }
                pos = f.maxTxid();
                bytes += f.size();
                files++;
                LOG.log(System.Logger.Level.DEBUG, "applied {0}", name);
            }
            if (writer != null) {
                writer.finish();
            }
            ch.force(true);
            boolean verified = false;
            if (postApply != 0 && sums != null) {
                // Each page's checksum was taken as it was written: no second pass over the file.
                if (sums.value() != postApply) {
                    throw new IOException("restored database checksum mismatch at TXID %s: want %s (from the last file), got %s"
                            .formatted(Txid.format(plan.txid()), Checksums.format(postApply), Checksums.format(sums.value())));
                }
                verified = true;
            }
            return new Result(plan.txid(), files, bytes, pages, verified);
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
    }

    /** Streams one file's pages into the output, noting each page's checksum; returns the page count. */
    private static long applyPages(LtxDecoder d, PageWriter writer, PageChecksums sums, byte[] page) throws IOException {
        sums.resize(d.header().commit());
        long n = 0;
        int pgno;
        while ((pgno = d.readPage(page)) != 0) {
            writer.write(pgno, page);
            sums.set(pgno, Checksums.ofPageCrc(pgno, d.lastPageCrc(), page.length));
            n++;
        }
        writer.setPageCount(d.header().commit());
        return n;
    }

    private static void deleteTree(Path dir) throws IOException {
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
