package io.litestream4j.vfs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/**
 * The C API of the SQLite that sqlite-jdbc loaded, obtained once per process. sqlite-jdbc's native
 * library exports no {@code sqlite3_*} symbol, so the API is reached the way an extension reaches
 * it: a bootstrap VFS (a copy of the default {@code unix} VFS with our own {@code xDlOpen} and
 * {@code xDlSym}) is spliced into the VFS list behind the default one, a connection using it runs
 * {@code load_extension}, and SQLite hands our entry point its {@code sqlite3_api_routines*}. The
 * bootstrap VFS is then unregistered through that API.
 *
 * <p>Guarantees: done at most once (the first {@link #get()}); the splice writes one pointer of
 * the default VFS without SQLite's mutex, so the first registration should happen before other
 * threads open databases (it is done inside a class initializer, which the JVM runs once). Struct
 * offsets assume a 64-bit platform; the API table's layout is checked against the running library
 * ({@code libversion_number} must match {@code sqlite_version()}) before anything is registered.
 */
final class SqliteApi {
    private static final System.Logger LOG = System.getLogger(SqliteApi.class.getName());
    static final Linker LINKER = Linker.nativeLinker();

    // struct sqlite3_vfs (64-bit): iVersion, szOsFile, mxPathname, pNext, zName, pAppData, methods...
    static final long VFS_SZ_OS_FILE = 4;
    static final long VFS_MX_PATHNAME = 8;
    static final long VFS_NEXT = 16;
    static final long VFS_NAME = 24;
    static final long VFS_APP_DATA = 32;
    static final long VFS_OPEN = 40;
    static final long VFS_DELETE = 48;
    static final long VFS_ACCESS = 56;
    static final long VFS_DL_OPEN = 72;
    static final long VFS_DL_ERROR = 80;
    static final long VFS_DL_SYM = 88;
    static final long VFS_DL_CLOSE = 96;
    static final long VFS_SIZE = 168; // version 3: up to xNextSystemCall

    // struct sqlite3_api_routines: pointer slots (sqlite3ext.h order), 8 bytes each.
    private static final long API_LIBVERSION_NUMBER = 67 * 8;
    private static final long API_VFS_FIND = 141 * 8;
    private static final long API_VFS_REGISTER = 142 * 8;
    private static final long API_VFS_UNREGISTER = 143 * 8;

    private static final String ENTRY_POINT = "litestream4j_vfs_init";
    private static final AtomicLong BOOT_COUNT = new AtomicLong();

    private static volatile SqliteApi instance;
    private static volatile MemorySegment capturedApi;

    private final MethodHandle vfsFind;
    private final MethodHandle vfsRegister;
    private final MethodHandle vfsUnregister;
    private final MemorySegment defaultVfs;

    private SqliteApi(MemorySegment api, MemorySegment defaultVfs) {
        this.vfsFind = LINKER.downcallHandle(api.get(ADDRESS, API_VFS_FIND), FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.vfsRegister = LINKER.downcallHandle(api.get(ADDRESS, API_VFS_REGISTER), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.vfsUnregister = LINKER.downcallHandle(api.get(ADDRESS, API_VFS_UNREGISTER), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.defaultVfs = defaultVfs;
    }

    /** The API, reached on first use (see the class comment). */
    static SqliteApi get() throws SQLException {
        SqliteApi api = instance;
        if (api == null) {
            synchronized (SqliteApi.class) {
                api = instance;
                if (api == null) {
                    api = bootstrap();
                    instance = api;
                }
            }
        }
        return api;
    }

    /** The default VFS ({@code unix}), whose methods serve temporary files and the VFS plumbing. */
    MemorySegment defaultVfs() {
        return defaultVfs;
    }

    /** A registered VFS by name, or null. */
    MemorySegment find(String name) throws SQLException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) vfsFind.invokeExact(a.allocateFrom(name));
            return p.equals(MemorySegment.NULL) ? null : p.reinterpret(VFS_SIZE);
        } catch (Throwable t) {
            throw new SQLException("sqlite3_vfs_find(%s): %s".formatted(name, t), t);
        }
    }

    void register(MemorySegment vfs) throws SQLException {
        int rc;
        try {
            rc = (int) vfsRegister.invokeExact(vfs, 0);
        } catch (Throwable t) {
            throw new SQLException("sqlite3_vfs_register: " + t, t);
        }
        if (rc != 0) {
            throw new SQLException("sqlite3_vfs_register: SQLite error " + rc);
        }
    }

    void unregister(MemorySegment vfs) throws SQLException {
        int rc;
        try {
            rc = (int) vfsUnregister.invokeExact(vfs);
        } catch (Throwable t) {
            throw new SQLException("sqlite3_vfs_unregister: " + t, t);
        }
        if (rc != 0) {
            throw new SQLException("sqlite3_vfs_unregister: SQLite error " + rc);
        }
    }

    private static SqliteApi bootstrap() throws SQLException {
        MemorySegment unix;
        try (Connection probe = DriverManager.getConnection("jdbc:sqlite::memory:")) {
            unix = defaultVfsOf(probe);
        }
        String bootName = "litestream4j-bootstrap-" + ProcessHandle.current().pid() + "-" + BOOT_COUNT.incrementAndGet();
        MemorySegment boot = Arena.global().allocate(VFS_SIZE, 8);
        boot.copyFrom(unix.asSlice(0, VFS_SIZE));
        boot.set(ADDRESS, VFS_NAME, Arena.global().allocateFrom(bootName));
        boot.set(ADDRESS, VFS_DL_OPEN, Upcalls.stub("dlOpen", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS)));
        boot.set(ADDRESS, VFS_DL_ERROR, Upcalls.stub("dlError", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS)));
        boot.set(ADDRESS, VFS_DL_SYM, Upcalls.stub("dlSym", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS)));
        boot.set(ADDRESS, VFS_DL_CLOSE, Upcalls.stub("dlClose", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
        // Splice behind the default VFS so sqlite3_vfs_find can see it by name.
        boot.set(ADDRESS, VFS_NEXT, unix.get(ADDRESS, VFS_NEXT));
        unix.set(ADDRESS, VFS_NEXT, boot);
        boolean spliced = true;
        try {
            SQLiteConfig config = new SQLiteConfig();
            config.enableLoadExtension(true);
            String version;
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:litestream4j-bootstrap?mode=memory&vfs=" + bootName, config.toProperties());
                 Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT load_extension('litestream4j', '" + ENTRY_POINT + "')")) {
                    rs.next();
                }
                try (ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
                    rs.next();
                    version = rs.getString(1);
                }
            }
            MemorySegment api = capturedApi;
            if (api == null) {
                throw new SQLException("load_extension did not call the litestream4j entry point: cannot reach SQLite's C API");
            }
            checkLayout(api, version);
            SqliteApi result = new SqliteApi(api, unix);
            result.unregister(boot);
            spliced = false;
            LOG.log(System.Logger.Level.DEBUG, "reached the C API of SQLite {0} loaded by sqlite-jdbc", version);
            return result;
        } finally {
            if (spliced) {
                unix.set(ADDRESS, VFS_NEXT, boot.get(ADDRESS, VFS_NEXT));
            }
        }
    }

    /** The API table's libversion_number must agree with sqlite_version(), else our slot numbers are wrong. */
    private static void checkLayout(MemorySegment api, String version) throws SQLException {
        int number;
        try {
            MethodHandle h = LINKER.downcallHandle(api.get(ADDRESS, API_LIBVERSION_NUMBER), FunctionDescriptor.of(JAVA_INT));
            number = (int) h.invokeExact();
        } catch (Throwable t) {
            throw new SQLException("sqlite3_libversion_number: " + t, t);
        }
        String[] p = version.split("\\.");
        int want = Integer.parseInt(p[0]) * 1_000_000 + Integer.parseInt(p[1]) * 1000 + (p.length > 2 ? Integer.parseInt(p[2]) : 0);
        if (number != want) {
            throw new SQLException("SQLite API table layout: libversion_number says %d, sqlite_version() says %s: refusing to register a VFS"
                    .formatted(number, version));
        }
    }

    /** The {@code sqlite3_vfs*} a connection uses: the first member of {@code struct sqlite3}. */
    static MemorySegment defaultVfsOf(Connection c) throws SQLException {
        long db;
        try {
            Object nativeDb = c.unwrap(SQLiteConnection.class).getDatabase();
            java.lang.reflect.Field pointer = null;
            for (Class<?> k = nativeDb.getClass(); k != null && pointer == null; k = k.getSuperclass()) {
                try {
                    pointer = k.getDeclaredField("pointer");
                } catch (NoSuchFieldException next) {
                    // look in the superclass
                }
            }
            if (pointer == null) {
                throw new SQLException("sqlite-jdbc %s has no NativeDB.pointer field: cannot reach its sqlite3 handle".formatted(nativeDb.getClass()));
            }
            pointer.setAccessible(true);
            db = pointer.getLong(nativeDb);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new SQLException("read sqlite-jdbc's sqlite3 handle (run with --add-opens org.xerial.sqlitejdbc/org.sqlite.core=ALL-UNNAMED on the module path): " + e, e);
        }
        if (db == 0) {
            throw new SQLException("sqlite-jdbc connection has no sqlite3 handle");
        }
        return MemorySegment.ofAddress(db).reinterpret(8).get(ADDRESS, 0).reinterpret(VFS_SIZE);
    }

    // ---- bootstrap upcalls (never throw) ----

    static MemorySegment dlOpen(MemorySegment vfs, MemorySegment file) {
        return MemorySegment.ofAddress(1); // any non-NULL handle
    }

    static void dlError(MemorySegment vfs, int n, MemorySegment buf) {
        try {
            byte[] msg = "litestream4j bootstrap: no such symbol".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            MemorySegment out = buf.reinterpret(Math.max(0, n));
            int len = Math.min(msg.length, n - 1);
            if (len >= 0) {
                MemorySegment.copy(msg, 0, out, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, len);
                out.set(java.lang.foreign.ValueLayout.JAVA_BYTE, len, (byte) 0);
            }
        } catch (Throwable t) {
            // nothing to report through
        }
    }

    static MemorySegment dlSym(MemorySegment vfs, MemorySegment handle, MemorySegment symbol) {
        try {
            if (ENTRY_POINT.equals(symbol.reinterpret(256).getString(0))) {
                return INIT;
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "litestream4j bootstrap xDlSym", t);
        }
        return MemorySegment.NULL;
    }

    static void dlClose(MemorySegment vfs, MemorySegment handle) {}

    /** The extension entry point: {@code int init(sqlite3*, char**, const sqlite3_api_routines*)}. */
    static int init(MemorySegment db, MemorySegment errMsg, MemorySegment api) {
        try {
            capturedApi = api.reinterpret(300 * 8);
            return 0;
        } catch (Throwable t) {
            return 1;
        }
    }

    private static final MemorySegment INIT = Upcalls.stub(SqliteApi.class, "init", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

    /** Upcall stubs in the global arena (SQLite keeps the pointers for the life of the process). */
    static final class Upcalls {
        private Upcalls() {}

        static MemorySegment stub(String method, FunctionDescriptor fd) {
            return stub(SqliteApi.class, method, fd);
        }

        static MemorySegment stub(Class<?> owner, String method, FunctionDescriptor fd) {
            try {
                MethodHandle h = MethodHandles.lookup().findStatic(owner, method, fd.toMethodType());
                return LINKER.upcallStub(h, fd, Arena.global());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("upcall " + owner.getSimpleName() + "." + method + fd, e);
            }
        }
    }
}
