package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.DatabaseChecksum;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.LtxTrailer;
import io.litestream4j.ltx.PageSizes;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.ByteBuffer;
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

    private Restorer() {}

    public record Result(long txid, int files, long bytes, long pages, boolean checksumVerified) {}

    public static Result restore(ReplicaClient client, RestorePlan plan, RestoreOptions options) throws IOException {
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
        try {
            Result result = apply(client, plan, tmp);
            check(tmp, options.integrityCheck());
            Files.deleteIfExists(wal);
            Files.deleteIfExists(shm);
            AtomicFiles.moveDurably(tmp, out);
            dropStaleLocalState(out);
            return result;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-wal"));
            Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-shm"));
        }
    }

    private static Result apply(ReplicaClient client, RestorePlan plan, Path tmp) throws IOException {
        long bytes = 0;
        long pages = 0;
        long postApply = 0;
        int pageSize = 0;
        int commit = 0;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            byte[] page = null;
            for (LtxFileInfo f : plan.files()) {
                String name = "%s level %d file %s".formatted(client.location(), f.level(), f.fileName());
                try (LtxDecoder d = new LtxDecoder(client.open(f.level(), f.range(), 0, -1), name)) {
                    LtxHeader h = d.header();
                    if (pageSize == 0) {
                        pageSize = h.pageSize();
                        page = new byte[pageSize];
                    } else if (h.pageSize() != pageSize) {
                        throw new IOException("%s: page size %d differs from the snapshot's %d".formatted(name, h.pageSize(), pageSize));
                    }
                    int pgno;
                    while ((pgno = d.readPage(page)) != 0) {
                        writeFully(ch, ByteBuffer.wrap(page), (long) (pgno - 1) * pageSize);
                        pages++;
                    }
                    LtxTrailer t = d.trailer();
                    commit = h.commit();
                    setLength(ch, (long) commit * pageSize);
                    postApply = t.postApplyChecksum();
                }
                bytes += f.size();
                LOG.log(System.Logger.Level.DEBUG, "applied {0}", name);
            }
            ch.force(true);
            boolean verified = false;
            if (postApply != 0) {
                long actual = checksum(ch, pageSize, commit);
                if (actual != postApply) {
                    throw new IOException("restored database checksum mismatch at TXID %s: want %s (from the last file), got %s"
                            .formatted(Txid.format(plan.txid()), Checksums.format(postApply), Checksums.format(actual)));
                }
                verified = true;
            }
            return new Result(plan.txid(), plan.files().size(), bytes, pages, verified);
        }
    }

    /** The database checksum of the first {@code commit} pages of a file. */
    static long checksum(FileChannel ch, int pageSize, int commit) throws IOException {
        DatabaseChecksum sum = new DatabaseChecksum();
        int lock = PageSizes.lockPgno(pageSize);
        int chunkPages = Math.max(1, (1 << 20) / pageSize);
        byte[] chunk = new byte[chunkPages * pageSize];
        for (int first = 1; first <= commit; first += chunkPages) {
            int count = Math.min(chunkPages, commit - first + 1);
            ByteBuffer bb = ByteBuffer.wrap(chunk, 0, count * pageSize);
            long pos = (long) (first - 1) * pageSize;
            while (bb.hasRemaining()) {
                int r = ch.read(bb, pos + bb.position());
                if (r < 0) {
                    java.util.Arrays.fill(chunk, bb.position(), count * pageSize, (byte) 0);
                    break;
                }
            }
            for (int i = 0; i < count; i++) {
                int pgno = first + i;
                if (pgno != lock) {
                    sum.add(Checksums.page(pgno, chunk, i * pageSize, pageSize));
                }
            }
        }
        return sum.value();
    }

    private static void writeFully(FileChannel ch, ByteBuffer bb, long position) throws IOException {
        while (bb.hasRemaining()) {
            ch.write(bb, position + bb.position());
        }
    }

    /** Truncates or extends (with zeros) the file to {@code length}. */
    private static void setLength(FileChannel ch, long length) throws IOException {
        long size = ch.size();
        if (size > length) {
            ch.truncate(length);
        } else if (size < length) {
            writeFully(ch, ByteBuffer.wrap(new byte[1]), length - 1);
        }
    }

    private static void check(Path db, RestoreOptions.IntegrityCheck mode) throws IOException {
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
    private static void dropStaleLocalState(Path db) throws IOException {
        Path meta = db.resolveSibling("." + db.getFileName() + "-litestream");
        if (Files.isDirectory(meta)) {
            try (var walk = Files.walk(meta)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
