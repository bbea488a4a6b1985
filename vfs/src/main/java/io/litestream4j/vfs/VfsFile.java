package io.litestream4j.vfs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;

/**
 * One connection's open database file. It reads the state it took with its SHARED lock until it
 * lets go of the lock, so a read transaction sees one state from start to end; without a lock
 * (SQLite reading the header at open) it reads the newest. Page 1 is shown as SQLite needs to see
 * it: rollback journal mode (bytes 18-19 = 1, so no {@code -wal} or {@code -shm} is looked for),
 * and the file change counter and version-valid-for number (bytes 24-27 and 92-95) set from the
 * state's TXID, so a connection drops its page cache exactly when the state changed.
 *
 * <p>Used by one connection, which SQLite serializes: not thread-safe, needs not be.
 */
final class VfsFile {
    static final int LOCK_NONE = 0;
    static final int LOCK_SHARED = 1;

    private final LitestreamVfs vfs;
    private final LitestreamVfs.Target target;
    private final String name;
    private int lock = LOCK_NONE;
    private PageMap held;
    private int lastRead = -1;
    /** Pages read in increasing order without a jump, for growing the prefetch window. */
    private int sequentialRun;

    VfsFile(LitestreamVfs vfs, LitestreamVfs.Target target, String name) {
        this.vfs = vfs;
        this.target = target;
        this.name = name;
    }

    String name() {
        return name;
    }

    LitestreamVfs vfs() {
        return vfs;
    }

    LitestreamVfs.Target target() {
        return target;
    }

    /** Takes a lock; a connection taking SHARED from no lock takes the newest state of its target. */
    void lock(int level) throws IOException {
        if (lock == LOCK_NONE && level >= LOCK_SHARED) {
            held = vfs.state(target);
        }
        lock = Math.max(lock, level);
    }

    void unlock(int level) {
        lock = level;
        if (level == LOCK_NONE) {
            held = null;
        }
    }

    long size() throws IOException {
        return view().sizeBytes();
    }

    private PageMap view() throws IOException {
        return held != null ? held : vfs.state(target);
    }

    /**
     * Copies {@code amount} bytes from {@code offset} into {@code dst}; false if the file ends
     * first (the rest is zero-filled, as SQLite requires for a short read).
     */
    boolean read(MemorySegment dst, int amount, long offset) throws IOException {
        PageMap map = view();
        try {
            return readFrom(map, dst, amount, offset);
        } catch (NoSuchFileException gone) {
            // Compaction and retention removed a file of this state: the same TXID planned again
            // from the files there now is the same state, so the read can go on (never a mix).
            PageMap same = vfs.samestate(map, gone);
            if (held != null) {
                held = same;
            }
            return readFrom(same, dst, amount, offset);
        }
    }

    private boolean readFrom(PageMap map, MemorySegment dst, int amount, long offset) throws IOException {
        int pageSize = map.pageSize();
        long size = map.sizeBytes();
        int done = 0;
        long pos = offset;
        while (done < amount && pos < size) {
            int pgno = (int) (pos / pageSize) + 1;
            int inPage = (int) (pos % pageSize);
            int n = (int) Math.min(Math.min(pageSize - inPage, amount - done), size - pos);
            byte[] page = page(map, pgno);
            MemorySegment.copy(page, inPage, dst, ValueLayout.JAVA_BYTE, done, n);
            done += n;
            pos += n;
        }
        if (done < amount) {
            dst.asSlice(done, amount - done).fill((byte) 0);
            return false;
        }
        return true;
    }

    private byte[] page(PageMap map, int pgno) throws IOException {
        sequentialRun = pgno == lastRead + 1 ? sequentialRun + 1 : 0;
        lastRead = pgno;
        byte[] page = vfs.page(map, pgno, sequentialRun);
        if (pgno == 1) {
            page = asRollbackHeader(page, map);
        }
        return page;
    }

    private static byte[] asRollbackHeader(byte[] page1, PageMap map) {
        byte[] p = page1.clone();
        p[18] = 1; // file format write version: legacy (rollback journal)
        p[19] = 1; // read version
        int counter = (int) map.txid();
        putInt(p, 24, counter); // file change counter
        putInt(p, 28, map.commit()); // database size in pages, valid because 92-95 equals 24-27
        putInt(p, 92, counter); // version-valid-for number
        return p;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
