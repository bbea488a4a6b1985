package io.litestream4j.vfs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The C side of {@link LitestreamVfs}: the {@code sqlite3_vfs} and {@code sqlite3_io_methods}
 * structs (FFM upcall stubs in the global arena, since SQLite keeps the pointers) and the upcalls
 * themselves, which find the Java objects by number ({@code pAppData} of the VFS; a number stored
 * after {@code pMethods} in each {@code sqlite3_file}).
 *
 * <p>Every upcall catches {@link Throwable} and returns an SQLite error code (an exception leaving
 * an upcall would end the JVM). Main database files are ours; {@code -wal}, journal and super
 * journal opens are refused (the database is shown in rollback mode and is read-only, so SQLite
 * has no reason to open them); temporary files and sorter spill files go to the default VFS, which
 * writes its own {@code sqlite3_file} into the space we reserve ({@code szOsFile} is the larger of
 * ours and its).
 *
 * <pre>
 * struct sqlite3_file (ours)         offset
 *   const sqlite3_io_methods *pMethods  0
 *   long id (a VfsFile)                 8
 * </pre>
 */
final class VfsBridge {
    private static final System.Logger LOG = System.getLogger(VfsBridge.class.getName());

    static final int SQLITE_OK = 0;
    static final int SQLITE_ERROR = 1;
    static final int SQLITE_READONLY = 8;
    static final int SQLITE_NOTFOUND = 12;
    static final int SQLITE_CANTOPEN = 14;
    static final int SQLITE_IOERR_READ = 10 | (1 << 8);
    static final int SQLITE_IOERR_SHORT_READ = 10 | (2 << 8);
    static final int SQLITE_IOERR_FSTAT = 10 | (7 << 8);
    static final int SQLITE_IOERR_LOCK = 10 | (15 << 8);
    static final int SQLITE_IOERR_CLOSE = 10 | (16 << 8);

    static final int OPEN_READONLY = 0x1;
    static final int OPEN_READWRITE = 0x2;
    static final int OPEN_CREATE = 0x4;
    static final int OPEN_MAIN_DB = 0x100;
    static final int OPEN_MAIN_JOURNAL = 0x800;
    static final int OPEN_SUPER_JOURNAL = 0x4000;
    static final int OPEN_WAL = 0x80000;

    private static final int LOCK_RESERVED = 2;

    // struct sqlite3_io_methods, version 1: iVersion, then 12 method pointers.
    private static final long IO_SIZE = 8 + 12 * 8;

    private static final Map<Long, LitestreamVfs> VFSES = new ConcurrentHashMap<>();
    private static final Map<Long, VfsFile> FILES = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong();

    private static MemorySegment ioMethods;
    private static MethodHandle defaultOpen;

    private VfsBridge() {}

    /** Registers {@code vfs} in SQLite under its name; the returned struct is what SQLite holds. */
    static synchronized MemorySegment register(LitestreamVfs vfs) throws SQLException {
        SqliteApi api = SqliteApi.get();
        if (api.find(vfs.name()) != null) {
            throw new SQLException("vfs %s: a VFS of that name is already registered in SQLite".formatted(vfs.name()));
        }
        MemorySegment unix = api.defaultVfs();
        if (ioMethods == null) {
            ioMethods = ioMethods();
            defaultOpen = SqliteApi.LINKER.downcallHandle(unix.get(ADDRESS, SqliteApi.VFS_OPEN),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        }
        long id = IDS.incrementAndGet();
        MemorySegment s = Arena.global().allocate(SqliteApi.VFS_SIZE, 8);
        s.copyFrom(unix.asSlice(0, SqliteApi.VFS_SIZE)); // the default VFS's plumbing: paths, randomness, time, sleep, dl*
        s.set(JAVA_INT, SqliteApi.VFS_SZ_OS_FILE, Math.max(16, unix.get(JAVA_INT, SqliteApi.VFS_SZ_OS_FILE)));
        s.set(ADDRESS, SqliteApi.VFS_NEXT, MemorySegment.NULL);
        s.set(ADDRESS, SqliteApi.VFS_NAME, Arena.global().allocateFrom(vfs.name()));
        s.set(ADDRESS, SqliteApi.VFS_APP_DATA, MemorySegment.ofAddress(id));
        s.set(ADDRESS, SqliteApi.VFS_OPEN, stub("xOpen", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS)));
        s.set(ADDRESS, SqliteApi.VFS_DELETE, stub("xDelete", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)));
        s.set(ADDRESS, SqliteApi.VFS_ACCESS, stub("xAccess", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS)));
        VFSES.put(id, vfs);
        try {
            api.register(s);
        } catch (SQLException e) {
            VFSES.remove(id);
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "registered SQLite VFS {0}", vfs);
        return s;
    }

    static synchronized void unregister(LitestreamVfs vfs, MemorySegment struct) throws SQLException {
        if (struct == null) {
            return;
        }
        SqliteApi.get().unregister(struct);
        VFSES.remove(struct.get(ADDRESS, SqliteApi.VFS_APP_DATA).address());
    }

    /** Stubs are made once per method and shared by every VFS (they dispatch on pAppData). */
    private static final Map<String, MemorySegment> STUBS = new ConcurrentHashMap<>();

    private static MemorySegment stub(String method, FunctionDescriptor fd) {
        return STUBS.computeIfAbsent(method, m -> SqliteApi.Upcalls.stub(VfsBridge.class, m, fd));
    }

    private static MemorySegment ioMethods() {
        MemorySegment io = Arena.global().allocate(IO_SIZE, 8);
        io.set(JAVA_INT, 0, 1);
        FunctionDescriptor fileOnly = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        io.set(ADDRESS, 8, stub("xClose", fileOnly));
        io.set(ADDRESS, 16, stub("xRead", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG)));
        io.set(ADDRESS, 24, stub("xWrite", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG)));
        io.set(ADDRESS, 32, stub("xTruncate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG)));
        io.set(ADDRESS, 40, stub("xSync", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        io.set(ADDRESS, 48, stub("xFileSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)));
        io.set(ADDRESS, 56, stub("xLock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        io.set(ADDRESS, 64, stub("xUnlock", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        io.set(ADDRESS, 72, stub("xCheckReservedLock", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)));
        io.set(ADDRESS, 80, stub("xFileControl", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS)));
        io.set(ADDRESS, 88, stub("xSectorSize", fileOnly));
        io.set(ADDRESS, 96, stub("xDeviceCharacteristics", fileOnly));
        return io;
    }

    // ---- sqlite3_vfs methods ----

    static int xOpen(MemorySegment vfsPtr, MemorySegment zName, MemorySegment file, int flags, MemorySegment outFlags) {
        LitestreamVfs vfs = null;
        try {
            MemorySegment f = file.reinterpret(16);
            f.set(ADDRESS, 0, MemorySegment.NULL); // no xClose unless the open succeeds
            vfs = VFSES.get(vfsPtr.reinterpret(SqliteApi.VFS_SIZE).get(ADDRESS, SqliteApi.VFS_APP_DATA).address());
            if (vfs == null) {
                LOG.log(System.Logger.Level.ERROR, "vfs open: the VFS was closed");
                return SQLITE_CANTOPEN;
            }
            if ((flags & OPEN_MAIN_DB) == 0) {
                if ((flags & (OPEN_MAIN_JOURNAL | OPEN_SUPER_JOURNAL | OPEN_WAL)) != 0) {
                    vfs.failed("open %s".formatted(cString(zName)), new IOException("journal and WAL files are refused: the database is read-only"));
                    return SQLITE_CANTOPEN;
                }
                // Temporary and spill files: the default VFS, into the space reserved for it.
                return (int) defaultOpen.invokeExact(SqliteApi.get().defaultVfs(), zName, file, flags, outFlags);
            }
            String name = cString(zName);
            VfsFile vf = new VfsFile(vfs, vfs.target(uriParameters(zName)), name);
            long id = IDS.incrementAndGet();
            FILES.put(id, vf);
            f.set(JAVA_LONG, 8, id);
            f.set(ADDRESS, 0, ioMethods);
            if (!outFlags.equals(MemorySegment.NULL)) {
                outFlags.reinterpret(4).set(JAVA_INT, 0, (flags & ~(OPEN_READWRITE | OPEN_CREATE)) | OPEN_READONLY);
            }
            return SQLITE_OK;
        } catch (Throwable t) {
            report(vfs, "open", t);
            return SQLITE_CANTOPEN;
        }
    }

    static int xDelete(MemorySegment vfsPtr, MemorySegment zName, int syncDir) {
        return SQLITE_OK; // nothing of ours is ever deleted; the default VFS's temp files delete themselves on close
    }

    static int xAccess(MemorySegment vfsPtr, MemorySegment zName, int flags, MemorySegment out) {
        try {
            out.reinterpret(4).set(JAVA_INT, 0, 0); // no -wal, -journal or -shm exists, and nothing is writable
            return SQLITE_OK;
        } catch (Throwable t) {
            return SQLITE_ERROR;
        }
    }

    // ---- sqlite3_io_methods ----

    static int xClose(MemorySegment file) {
        try {
            FILES.remove(file.reinterpret(16).get(JAVA_LONG, 8));
            return SQLITE_OK;
        } catch (Throwable t) {
            return SQLITE_IOERR_CLOSE;
        }
    }

    static int xRead(MemorySegment file, MemorySegment buf, int amount, long offset) {
        VfsFile f = null;
        try {
            f = file(file);
            return f.read(buf.reinterpret(amount), amount, offset) ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;
        } catch (Throwable t) {
            report(f, "read %d bytes at offset %d".formatted(amount, offset), t);
            return SQLITE_IOERR_READ;
        }
    }

    static int xWrite(MemorySegment file, MemorySegment buf, int amount, long offset) {
        return SQLITE_READONLY;
    }

    static int xTruncate(MemorySegment file, long size) {
        return SQLITE_READONLY;
    }

    static int xSync(MemorySegment file, int flags) {
        return SQLITE_OK;
    }

    static int xFileSize(MemorySegment file, MemorySegment out) {
        VfsFile f = null;
        try {
            f = file(file);
            out.reinterpret(8).set(JAVA_LONG, 0, f.size());
            return SQLITE_OK;
        } catch (Throwable t) {
            report(f, "file size", t);
            return SQLITE_IOERR_FSTAT;
        }
    }

    static int xLock(MemorySegment file, int level) {
        VfsFile f = null;
        try {
            if (level >= LOCK_RESERVED) {
                return SQLITE_READONLY;
            }
            f = file(file);
            f.lock(level);
            return SQLITE_OK;
        } catch (Throwable t) {
            report(f, "lock", t);
            return SQLITE_IOERR_LOCK;
        }
    }

    static int xUnlock(MemorySegment file, int level) {
        try {
            file(file).unlock(level);
            return SQLITE_OK;
        } catch (Throwable t) {
            report((LitestreamVfs) null, "unlock", t);
            return SQLITE_IOERR_LOCK;
        }
    }

    static int xCheckReservedLock(MemorySegment file, MemorySegment out) {
        try {
            out.reinterpret(4).set(JAVA_INT, 0, 0);
            return SQLITE_OK;
        } catch (Throwable t) {
            return SQLITE_ERROR;
        }
    }

    static int xFileControl(MemorySegment file, int op, MemorySegment arg) {
        return SQLITE_NOTFOUND;
    }

    static int xSectorSize(MemorySegment file) {
        return 4096;
    }

    static int xDeviceCharacteristics(MemorySegment file) {
        return 0;
    }

    // ---- helpers ----

    private static VfsFile file(MemorySegment file) throws IOException {
        long id = file.reinterpret(16).get(JAVA_LONG, 8);
        VfsFile f = FILES.get(id);
        if (f == null) {
            throw new IOException("vfs: no open file number " + id);
        }
        return f;
    }

    private static void report(VfsFile f, String what, Throwable t) {
        report(f == null ? null : f.vfs(), f == null ? what : "%s (%s, %s)".formatted(what, f.name(), f.target()), t);
    }

    private static void report(LitestreamVfs vfs, String what, Throwable t) {
        try {
            if (vfs != null) {
                vfs.failed(what, t);
            } else {
                LOG.log(System.Logger.Level.ERROR, "vfs " + what + ": " + t, t);
            }
        } catch (Throwable ignored) {
            // logging must not end the JVM either
        }
    }

    private static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "(temporary)" : p.reinterpret(Integer.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /**
     * The URI parameters SQLite appends to a main database's name: after the name's NUL, key and
     * value strings, each NUL-terminated, up to an empty key.
     */
    static Map<String, String> uriParameters(MemorySegment zName) {
        Map<String, String> out = new LinkedHashMap<>();
        MemorySegment s = zName.reinterpret(Integer.MAX_VALUE);
        long pos = s.getString(0, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8).length + 1;
        while (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, pos) != 0) {
            String key = s.getString(pos, StandardCharsets.UTF_8);
            pos += key.getBytes(StandardCharsets.UTF_8).length + 1;
            String value = s.getString(pos, StandardCharsets.UTF_8);
            pos += value.getBytes(StandardCharsets.UTF_8).length + 1;
            out.put(key, value);
        }
        return out;
    }
}
