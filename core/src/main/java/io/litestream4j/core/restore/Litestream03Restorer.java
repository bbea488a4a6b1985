package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.replica.LegacyLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.List;
import java.util.Map;
import net.jpountz.lz4.LZ4FrameInputStream;

/**
 * Restores a Litestream 0.3 backup ({@link Litestream03Plan}) as 0.3 did: the snapshot becomes
 * the database file, then each WAL index's segments are joined into a WAL file beside it and
 * SQLite checkpoints them in (so SQLite itself checks every frame's checksum and salt). Works on
 * {@code <output>.tmp}, renamed over the output only when all of it applied (and passed the
 * integrity check asked for); nothing is left behind on failure. Files are read through the
 * replica's {@link LegacyLayout}, so an age-encrypted 0.3 replica is decrypted on the way.
 */
public final class Litestream03Restorer {
    private static final int WAL_HEADER = 32;
    private static final int FRAME_HEADER = 24;

    private Litestream03Restorer() {}

    /** What was restored. */
    public record Result(String generation, int snapshotIndex, int lastWalIndex, int files, long bytes) {}

    public static Result restore(LegacyLayout source, String location, Litestream03Plan plan, RestoreOptions options) throws IOException {
        Path out = options.output().toAbsolutePath();
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path p = out.resolveSibling(out.getFileName() + suffix);
            if (!options.force() && Files.exists(p)) {
                throw new FileAlreadyExistsException(p.toString(), null, "output exists; use -force to replace it");
            }
        }
        Files.createDirectories(out.getParent());
        Path tmp = out.resolveSibling(out.getFileName() + AtomicFiles.TEMP_SUFFIX);
        Path wal = tmp.resolveSibling(tmp.getFileName() + "-wal");
        try {
            copy(source, location, plan.snapshot(), tmp, 0);
            int last = plan.snapshot().index() - 1;
            for (Map.Entry<Integer, List<Litestream03Plan.Segment>> index : plan.wal().entrySet()) {
                Files.deleteIfExists(wal);
                long size = 0;
                for (Litestream03Plan.Segment s : index.getValue()) {
                    if (s.offset() != size) {
                        throw new IOException("replica %s: %s starts at WAL offset %08x, but the segments before it end at %08x (a segment is missing)"
                                .formatted(location, s.file().path(), s.offset(), size));
                    }
                    size += copy(source, location, s, wal, size);
                }
                checkpoint(tmp, location, plan.generation(), index.getKey(), size);
                last = index.getKey();
            }
            Restorer.check(tmp, options.integrityCheck());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            for (String suffix : new String[] {"-wal", "-shm"}) {
                Files.deleteIfExists(out.resolveSibling(out.getFileName() + suffix));
            }
            AtomicFiles.moveDurably(tmp, out);
            Restorer.dropStaleLocalState(out);
            return new Result(plan.generation(), plan.snapshot().index(), last, plan.files().size(), plan.totalBytes());
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(wal);
            Files.deleteIfExists(tmp.resolveSibling(tmp.getFileName() + "-shm"));
        }
    }

    /** Decompresses one file (an LZ4 frame) into {@code target} at {@code position}; returns the bytes written. */
    private static long copy(LegacyLayout source, String location, Litestream03Plan.Segment s, Path target, long position) throws IOException {
        String name = location + "/" + s.file().path();
        try (InputStream raw = source.openLegacyFile(s.file().path());
                InputStream in = new LZ4FrameInputStream(raw);
                FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.position(position);
            OutputStream o = java.nio.channels.Channels.newOutputStream(ch);
            return in.transferTo(o);
        } catch (IOException | RuntimeException e) {
            throw new IOException("read Litestream 0.3 file %s: %s".formatted(name, e.getMessage()), e);
        }
    }

    /** Has SQLite apply the WAL beside {@code db}; every whole frame must be applied, or a frame was bad. */
    private static void checkpoint(Path db, String location, String generation, int index, long walSize) throws IOException {
        String what = "replica %s generation %s WAL index %08x".formatted(location, generation, index);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement st = c.createStatement()) {
            int pageSize;
            try (ResultSet rs = st.executeQuery("PRAGMA page_size")) {
                pageSize = rs.getInt(1);
            }
            long frames = (walSize - WAL_HEADER) / (FRAME_HEADER + pageSize);
            // FULL reports the frames it found and copied (TRUNCATE reports zeros once it is done).
            try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(FULL)")) {
                int busy = rs.getInt(1);
                long log = rs.getLong(2);
                long done = rs.getLong(3);
                if (busy != 0 || log != done) {
                    throw new IOException("%s: checkpoint incomplete (busy %d, %d of %d frames)".formatted(what, busy, done, log));
                }
                if (walSize > WAL_HEADER && log < frames) {
                    // A frame failing its checksum or salt ends what SQLite reads of a WAL.
                    throw new IOException("%s: SQLite applied %d of the %d frames in its %d bytes (a frame failed its checksum, or the last transaction is cut)"
                            .formatted(what, log, frames, walSize));
                }
            }
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            throw new IOException("%s: applying the WAL failed: %s".formatted(what, e.getMessage()), e);
        }
    }
}
