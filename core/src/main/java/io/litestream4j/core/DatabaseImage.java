package io.litestream4j.core;

import io.litestream4j.core.wal.WalScanner;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.PageSizes;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * The pages of a database as of the end of a WAL segment: a page's latest frame in the segment if
 * it has one, else the page in the database file, else zeros (beyond the file's end). The
 * segment must start at the WAL's first frame and the caller must hold the pin, which keeps any
 * checkpoint from changing database-file pages to versions the segment does not also hold.
 */
final class DatabaseImage {
    private static final int CHUNK_PAGES = 64;
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @FunctionalInterface
    interface PageConsumer {
        void accept(int pgno, byte[] page) throws IOException;
    }

    private DatabaseImage() {}

    /** Calls {@code consumer} for pages 1..commit in order, the lock page excluded, reusing one buffer. */
    static void forEachPage(FileChannel db, FileChannel wal, WalSegment segment, int pageSize, int commit,
            PageConsumer consumer) throws IOException {
        long dbSize = db.size();
        int lock = PageSizes.lockPgno(pageSize);
        byte[] chunk = new byte[CHUNK_PAGES * pageSize];
        byte[] page = new byte[pageSize];
        int walIndex = 0;
        for (int first = 1; first <= commit; first += CHUNK_PAGES) {
            int count = Math.min(CHUNK_PAGES, commit - first + 1);
            long offset = (long) (first - 1) * pageSize;
            int fromFile = (int) Math.max(0, Math.min((long) count * pageSize, dbSize - offset));
            readFully(db, ByteBuffer.wrap(chunk, 0, fromFile), offset);
            Arrays.fill(chunk, fromFile, count * pageSize, (byte) 0);
            for (int i = 0; i < count; i++) {
                int pgno = first + i;
                if (pgno == lock) {
                    continue;
                }
                while (walIndex < segment.pageCount() && segment.pgnos()[walIndex] < pgno) {
                    walIndex++;
                }
                if (walIndex < segment.pageCount() && segment.pgnos()[walIndex] == pgno) {
                    WalScanner.readPage(wal, segment.frameOffsets()[walIndex], page);
                } else {
                    System.arraycopy(chunk, i * pageSize, page, 0, pageSize);
                }
                consumer.accept(pgno, page);
            }
        }
    }

    /**
     * Reads page {@code pgno} of the image into {@code page}: from its latest frame in the
     * segment if it has one, else from the database file (zeros beyond its end).
     */
    static void readPage(FileChannel db, FileChannel wal, WalSegment segment, int pageSize, int pgno, byte[] page) throws IOException {
        int i = Arrays.binarySearch(segment.pgnos(), pgno);
        if (i >= 0) {
            WalScanner.readPage(wal, segment.frameOffsets()[i], page);
        } else {
            readFully(db, ByteBuffer.wrap(page), (long) (pgno - 1) * pageSize);
        }
    }

    /**
     * Fails with a clear message unless {@code path} is a SQLite database file (or empty), reading
     * through {@code db}, the descriptor that stays open (see {@link Database}).
     */
    static void checkIsDatabase(Path path, FileChannel db) throws IOException {
        if (db.size() == 0) {
            return;
        }
        ByteBuffer magic = ByteBuffer.allocate(SQLITE_MAGIC.length);
        while (magic.hasRemaining() && db.read(magic, magic.position()) > 0) {
            // read the header's first bytes
        }
        if (magic.hasRemaining() || !Arrays.equals(magic.array(), SQLITE_MAGIC)) {
            throw new IOException("database %s: not a SQLite database (the file does not start with \"SQLite format 3\")".formatted(path));
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer bb, long position) throws IOException {
        long pos = position;
        while (bb.hasRemaining()) {
            int r = ch.read(bb, pos);
            if (r < 0) {
                break;
            }
            pos += r;
        }
        // A file that shrank under us reads as zeros past its end, like SQLite reads it.
        while (bb.hasRemaining()) {
            bb.put((byte) 0);
        }
    }
}
