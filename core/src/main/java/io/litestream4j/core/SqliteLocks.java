package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * The replicator's own SQLite connections, and the locks it takes with them.
 *
 * <ul>
 *   <li>The <b>pin</b>: a read transaction on one of the two connections, held while the sync
 *       loop copies the WAL and let go when it has copied everything (see {@link Database}).
 *       While it is held, no checkpoint can copy WAL frames newer than the ones our snapshot of
 *       the database uses, so no one can restart the WAL over frames we have not copied yet.
 *   <li>The <b>barrier</b>: a write transaction on the other connection that is never committed.
 *       While it is held no frame can be appended, so copying the WAL tail and checkpointing
 *       happen with nothing landing in between. Held for milliseconds only; never across long work.
 * </ul>
 *
 * <p>The pin can move to a newer point with {@link #movePin}: the other connection takes it before
 * the first lets go, so there is no moment without one, and the two connections swap roles.
 *
 * <p>Both connections have auto-checkpoint off, so only this class's {@link #checkpoint}
 * checkpoints on our behalf. Not thread-safe: one database's sync loop owns it.
 *
 * <p>A quiet database's connections can be {@link #release released} (closed: SQLite's memory for
 * them and their file descriptors are freed); whatever needs a lock next opens them again
 * ({@link #connected}), and refuses a database deleted meanwhile (connections never create a
 * database: an empty file would be replicated over the real one) or replaced by another file at
 * the same path ({@link ReplacedException}: the caller starts over with a snapshot).
 *
 * <p>SQLite's busy handler sleeps inside the native call, which pins a virtual thread to its
 * carrier for as long. The long waits (a TRUNCATE checkpoint waiting for the application's
 * readers, up to the whole busy timeout; the barrier) run with SQLite's busy timeout at 0 and
 * retry here, parking in between, which unmounts a virtual thread: with as many such waits as
 * cores, every other virtual thread of the process (uploads, other databases' syncs) would stop.
 */
final class SqliteLocks implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(SqliteLocks.class);
    /** Between two attempts at a lock SQLite does not wait for on our behalf: the write lock for the barrier, the checkpoint lock. */
    private static final Duration BARRIER_RETRY = Duration.ofNanos(100_000);
    /** The first and the longest pause between two attempts of a TRUNCATE checkpoint kept out by readers (doubling in between). */
    private static final Duration FIRST_BUSY_PAUSE = Duration.ofMillis(1);
    private static final Duration LONGEST_BUSY_PAUSE = Duration.ofMillis(20);
    /**
     * How long {@link #checkpointUpToPin} waits for another connection's checkpoint. Without
     * waiting it found the lock taken 9 times in 10 under a writer at full speed, and writers then
     * waited 2.0 ms per checkpoint (p50) instead of 1.5-1.6 (docs/benchmarks.md).
     */
    private static final Duration EARLY_CHECKPOINT_PATIENCE = Duration.ofMillis(20);
    /**
     * The longest we try for the barrier, and wait under it for another connection's checkpoint.
     * An application's FULL, RESTART or TRUNCATE checkpoint holds the write and checkpoint locks
     * while it waits for readers, our pin among them, so a long wait here would stall it (and its
     * writers) for as long; a writer at full speed leaves a gap between two commits within a
     * millisecond or so, and a checkpoint that does not get the barrier is tried again next round.
     */
    static final Duration BARRIER_PATIENCE = Duration.ofMillis(100);
    static final Duration CHECKPOINT_UNDER_BARRIER_PATIENCE = Duration.ofMillis(50);

    private final Path path;
    private final Duration busyTimeout;
    /** The database file's identity (device and inode) when first opened: a different one at the path means it was replaced. */
    private final Object fileKey;
    /** Holds the pin (when pinned) and runs our checkpoints; null while released. */
    private Connection reader;
    /** Holds the barrier (when raised); takes the pin over in {@link #movePin}; null while released. */
    private Connection writer;
    private boolean pinned;
    private boolean barrier;
    /** Whether Litestream's two tables are known to be there; until then {@link #createTablesIfMissing} looks. */
    private boolean tablesExist;
    /** Making the tables failed for another reason than a busy lock (said once): not tried again. */
    private boolean tablesFailed;

    private SqliteLocks(Path path, Duration busyTimeout, Object fileKey, Connection reader, Connection writer) {
        this.path = path;
        this.busyTimeout = busyTimeout;
        this.fileKey = fileKey;
        this.reader = reader;
        this.writer = writer;
    }

    /**
     * Opens the database and makes sure it is in WAL mode. Litestream's two tables are not made
     * here but by the first sync that finds frames in the WAL ({@link #createTablesIfMissing}).
     */
    static SqliteLocks open(Path path, Duration busyTimeout) throws IOException {
        Object key = fileKey(path);
        Connection[] both = connectBoth(path, busyTimeout);
        HeldConnections.opened();
        SqliteLocks locks = new SqliteLocks(path, busyTimeout, key, both[0], both[1]);
        try {
            locks.lookForTables();
        } catch (IOException | RuntimeException e) {
            locks.close();
            throw e;
        }
        return locks;
    }

    /** Reads the schema for Litestream's tables, at every open (while released, another process may have dropped them). */
    private void lookForTables() throws IOException {
        try (Statement st = writer.createStatement()) {
            tablesExist = hasTables(st);
        } catch (SQLException e) {
            throw failure("read the schema", e);
        }
    }

    /** The other file now at our database's path, for {@link #connected}: everything known about the old one is void. */
    static final class ReplacedException extends IOException {
        private static final long serialVersionUID = 1L;

        ReplacedException(Path path) {
            super("database %s was replaced by another file while its connections were released".formatted(path));
        }
    }

    private static Object fileKey(Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        return key != null ? key : path; // a file system without inodes: replacement goes undetected there
    }

    /** Whether the connections are closed ({@link #release}); the next lock taken opens them again. */
    boolean released() {
        return reader == null;
    }

    /**
     * Closes both connections while the database is quiet: SQLite frees its page cache, schema and
     * lookaside memory for them, and their file descriptors. Only without the pin and the barrier.
     */
    void release() {
        if (pinned || barrier) {
            throw new IllegalStateException("release needs neither the pin nor the barrier held");
        }
        closeBoth();
    }

    private void closeBoth() {
        if (reader == null) {
            return;
        }
        closeQuietly(reader);
        closeQuietly(writer);
        reader = null;
        writer = null;
        HeldConnections.closed();
    }

    /**
     * Opens the connections again after {@link #release}, if the file at our path is still the one
     * first opened: a deleted database fails with {@link java.nio.file.NoSuchFileException}, a
     * replaced one with {@link ReplacedException} (checked before opening, so another file is
     * normally not touched, and after, in case it was replaced in between).
     */
    private void connected() throws IOException {
        if (reader != null) {
            return;
        }
        if (!fileKey(path).equals(fileKey)) {
            throw new ReplacedException(path);
        }
        Connection[] both = connectBoth(path, busyTimeout);
        reader = both[0];
        writer = both[1];
        HeldConnections.opened();
        if (!fileKey(path).equals(fileKey)) {
            release();
            throw new ReplacedException(path);
        }
        lookForTables();
    }

    private static Connection[] connectBoth(Path path, Duration busyTimeout) throws IOException {
        Connection reader = null;
        Connection writer = null;
        try {
            reader = connect(path, busyTimeout);
            writer = connect(path, busyTimeout);
            try (Statement st = writer.createStatement()) {
                String mode;
                try {
                    mode = queryString(st, "PRAGMA journal_mode = wal");
                } catch (SQLException e) {
                    throw new IOException("database %s: cannot switch it to WAL mode, which replication needs: %s%s".formatted(path, describe(e),
                            isBusy(e) ? " (another connection holds a lock on it in rollback-journal mode; switch it to WAL mode from the application,"
                                    + " PRAGMA journal_mode=wal, or stop what holds the lock)" : ""), e);
                }
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new IOException("database %s: cannot switch to WAL mode: journal mode is %s".formatted(path, mode));
                }
            }
            return new Connection[] {reader, writer};
        } catch (SQLException e) {
            closeQuietly(reader);
            closeQuietly(writer);
            throw new IOException("open database %s: %s".formatted(path, describe(e)), e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(reader);
            closeQuietly(writer);
            throw e;
        }
    }

    /** Whether Litestream's two tables were seen (at the last open) or made. */
    boolean tablesExist() {
        return tablesExist;
    }

    /**
     * Creates Litestream's two tables, both in one commit, if the database lacks them; called by a
     * sync once the WAL has frames. Not when the database is opened: a database nobody writes would
     * get a commit of ours, with SQLite's fsyncs of a new WAL (its header, its folder) and, when a
     * crowded start releases the connections, a checkpoint with two more: 5 of the 9 fsyncs of
     * starting a database (docs/benchmarks.md). In a WAL with frames the database is being
     * written, and the commit joins them without an fsync of its own.
     *
     * <p>Never waits: if another connection holds the write lock the next sync tries again (SQLite's
     * busy handler would sleep inside the native call, holding the sync loop's carrier thread).
     * Later opens (each start, each reconnect after a release) read the schema and write nothing.
     *
     * <p>Why the commit is not fsynced ({@code synchronous = NORMAL} on this connection; in WAL
     * mode that setting changes only whether a commit syncs the WAL; checkpoints sync the WAL and
     * the database as under FULL, and this is the only commit our connections make: the barrier
     * is always rolled back): if a power cut takes it back, the database is as it was before it
     * (SQLite's recovery drops the frames), and any local file made from those frames no longer
     * matches the WAL on the next start ({@link ResumePlanner} scans the WAL up to the newest
     * file's end and checks the frames' checksums), so replication continues with a snapshot, as
     * after an application's own unsynced commit ({@code synchronous = NORMAL} is what Litestream
     * recommends to applications). The tables are made again later.
     *
     * <p>A failure other than a busy lock (a database we may read but not write) is logged once and
     * not retried: the tables are Litestream's bookkeeping, and replication goes on without them.
     *
     * @return whether the tables are there now
     */
    boolean createTablesIfMissing() throws IOException {
        if (tablesExist) {
            return true;
        }
        if (tablesFailed) {
            return false;
        }
        if (barrier) {
            return false; // the other connection holds a write transaction of ours that must not commit
        }
        connected();
        try (Statement st = writer.createStatement()) {
            if (hasTables(st)) {
                tablesExist = true;
                return true;
            }
            st.execute("PRAGMA synchronous = NORMAL");
            st.execute("PRAGMA busy_timeout = 0");
            try {
                try {
                    st.execute("BEGIN IMMEDIATE");
                } catch (SQLException e) {
                    if (isBusy(e)) {
                        return false;
                    }
                    throw e;
                }
                try {
                    st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
                    st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
                    st.execute("COMMIT");
                } catch (SQLException e) {
                    rollbackQuietly(writer);
                    if (isBusy(e)) {
                        return false;
                    }
                    throw e;
                }
            } finally {
                st.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
            }
            tablesExist = true;
            return true;
        } catch (SQLException e) {
            tablesFailed = true;
            LOG.log(System.Logger.Level.WARNING, "database {0}: cannot create Litestream''s tables _litestream_seq and _litestream_lock "
                    + "(replication goes on without them): {1}", path, describe(e));
            return false;
        }
    }

    private static boolean hasTables(Statement st) throws SQLException {
        return "2".equals(queryString(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_litestream_seq', '_litestream_lock')"));
    }

    private static Connection connect(Path path, Duration busyTimeout) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE); // a database deleted under us fails to open, never comes back empty
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + path.toAbsolutePath(), config.toProperties());
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
            st.execute("PRAGMA wal_autocheckpoint = 0");
            // Touch the schema: a file that is not a database fails here, not later.
            queryString(st, "SELECT count(*) FROM sqlite_master");
        }
        return c;
    }

    /** The database's page size, as SQLite reports it. */
    int pageSize() throws IOException {
        connected();
        try (Statement st = writer.createStatement()) {
            return Integer.parseInt(queryString(st, "PRAGMA page_size"));
        } catch (SQLException e) {
            throw failure("read page size", e);
        }
    }

    boolean pinned() {
        return pinned;
    }

    /** Takes the read transaction that pins the WAL (no-op if held). */
    void pin() throws IOException {
        if (pinned) {
            return;
        }
        connected();
        beginRead(reader);
        pinned = true;
    }

    private void beginRead(Connection c) throws IOException {
        try (Statement st = c.createStatement()) {
            st.execute("BEGIN");
            // Any read begins the read transaction; the schema table is there before Litestream's tables are.
            queryString(st, "SELECT COUNT(1) FROM sqlite_master");
        } catch (SQLException e) {
            rollbackQuietly(c);
            throw failure("begin read transaction", e);
        }
    }

    /**
     * Moves the pin to the WAL as it is now: the other connection begins a read transaction,
     * then the old one ends. Why it matters: a pin taken when every frame of the WAL was in the
     * database holds SQLite's read mark 0, which forbids every checkpoint from copying anything;
     * the application's automatic checkpoint then runs on every commit, each time sorting the
     * whole WAL index only to find it cannot proceed. A pin taken when the WAL holds frames that
     * are not in the database holds a read mark above 0: checkpoints may copy up to it, and the
     * WAL cannot be restarted while it is held.
     *
     * @return false, doing nothing, when not pinned or under the barrier
     */
    boolean movePin() throws IOException {
        if (!pinned || barrier) {
            return false;
        }
        beginRead(writer);
        Connection old = reader;
        reader = writer;
        writer = old;
        try (Statement st = old.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            throw failure("end read transaction", e);
        }
        return true;
    }

    void unpin() throws IOException {
        if (!pinned) {
            return;
        }
        pinned = false;
        try (Statement st = reader.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            throw failure("end read transaction", e);
        }
    }

    /**
     * Blocks writers, waiting up to the busy timeout (at most BARRIER_PATIENCE) for the write lock. SQLite's own busy handler
     * retries after 1, 2, 5, 10... ms; an application committing at full speed holds the lock
     * nearly all of the time and takes it back within microseconds, so those few tries all fail
     * (a second went by without one succeeding). Trying every BARRIER_RETRY finds a gap between
     * two of its commits within a millisecond or so.
     */
    void raiseBarrier() throws IOException {
        if (barrier) {
            return;
        }
        connected();
        long deadline = System.nanoTime() + Math.min(busyTimeout.toNanos(), BARRIER_PATIENCE.toNanos());
        try (Statement st = writer.createStatement()) {
            st.execute("PRAGMA busy_timeout = 0");
            try {
                while (true) {
                    try {
                        st.execute("BEGIN IMMEDIATE");
                        barrier = true;
                        return;
                    } catch (SQLException e) {
                        if (!isBusy(e)) {
                            throw failure("take write lock", e);
                        }
                        if (System.nanoTime() - deadline >= 0) {
                            throw new BusyException(failure("take write lock", e));
                        }
                        LockSupport.parkNanos(BARRIER_RETRY.toNanos());
                    }
                }
            } finally {
                st.execute("PRAGMA busy_timeout = " + busyTimeout.toMillis());
            }
        } catch (SQLException e) {
            throw failure("set busy timeout", e);
        }
    }

    private static boolean isBusy(SQLException e) {
        return e.getErrorCode() == 5 || String.valueOf(e.getMessage()).contains("SQLITE_BUSY");
    }

    void lowerBarrier() throws IOException {
        if (!barrier) {
            return;
        }
        barrier = false;
        try (Statement st = writer.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException e) {
            throw failure("release write lock", e);
        }
    }

    /** The database stayed locked by others for the whole busy timeout. */
    static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        BusyException(IOException cause) {
            super(cause.getMessage(), cause.getCause());
        }
    }

    /** Result of {@code PRAGMA wal_checkpoint}: busy flag, frames in the WAL, frames checkpointed. */
    record CheckpointResult(boolean busy, int walFrames, int checkpointedFrames) {
        boolean complete() {
            return !busy && walFrames == checkpointedFrames;
        }

        /** Another connection was checkpointing, so this one did nothing. */
        boolean lockedOut() {
            return busy && walFrames < 0;
        }
    }

    /**
     * Runs a checkpoint in {@code mode} (PASSIVE or TRUNCATE) on the reader connection, with the
     * pin released for the duration and taken again after, even on failure. Under the barrier
     * (PASSIVE) another connection's checkpoint is waited for CHECKPOINT_UNDER_BARRIER_PATIENCE
     * at most: it may be an application's FULL checkpoint waiting for our barrier to end. A
     * TRUNCATE waits up to the busy timeout, retrying rather than in SQLite's busy handler (see
     * the class comment).
     */
    CheckpointResult checkpoint(String mode) throws IOException {
        connected();
        unpin();
        boolean waitsForReaders = !"PASSIVE".equals(mode);
        try {
            if (waitsForReaders) {
                setBusyTimeout(reader, Duration.ZERO);
            }
            try {
                return checkpointOn(reader, mode, barrier ? CHECKPOINT_UNDER_BARRIER_PATIENCE : busyTimeout);
            } finally {
                if (waitsForReaders) {
                    setBusyTimeout(reader, busyTimeout);
                }
            }
        } catch (SQLException e) {
            throw failure("checkpoint " + mode, e);
        } finally {
            pin();
        }
    }

    private static void setBusyTimeout(Connection c, Duration timeout) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + timeout.toMillis());
        }
    }

    /**
     * A PASSIVE checkpoint on the connection without the pin, with the pin held: SQLite copies
     * frames into the database only up to the pin's read mark, so the WAL cannot be restarted
     * by it, and writers are not blocked. Done before the barrier, it leaves the checkpoint under
     * the barrier only the frames committed since the pin was taken. While the application's
     * own checkpoint holds the lock (it runs after its commits), waits for it up to
     * EARLY_CHECKPOINT_PATIENCE only: the sync loop waits meanwhile.
     */
    CheckpointResult checkpointUpToPin() throws IOException {
        if (!pinned || barrier) {
            throw new IllegalStateException("checkpointUpToPin needs the pin and no barrier");
        }
        try {
            return checkpointOn(writer, "PASSIVE", EARLY_CHECKPOINT_PATIENCE);
        } catch (SQLException e) {
            throw failure("checkpoint PASSIVE up to the pin", e);
        }
    }

    /**
     * {@code PRAGMA wal_checkpoint(mode)}, tried again for up to {@code patience} while another
     * connection's checkpoint holds SQLite's checkpoint lock (every BARRIER_RETRY: SQLite calls
     * no busy handler for that lock, and the application's automatic checkpoint takes it right
     * after its commits, so without retries our checkpoint under the barrier would mostly do
     * nothing), and for a TRUNCATE also while the write lock or readers are in its way, what
     * SQLite's busy handler would wait for (each attempt copies what it can).
     */
    private CheckpointResult checkpointOn(Connection c, String mode, Duration patience) throws SQLException {
        long deadline = System.nanoTime() + patience.toNanos();
        long pause = FIRST_BUSY_PAUSE.toNanos();
        boolean waitsForReaders = !"PASSIVE".equals(mode);
        while (true) {
            CheckpointResult result;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
                rs.next();
                result = new CheckpointResult(rs.getInt(1) != 0, rs.getInt(2), rs.getInt(3));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !(result.lockedOut() || (waitsForReaders && result.busy()))) {
                return result;
            }
            if (result.lockedOut()) {
                LockSupport.parkNanos(Math.min(BARRIER_RETRY.toNanos(), left));
            } else {
                LockSupport.parkNanos(Math.min(pause, left));
                pause = Math.min(pause * 2, LONGEST_BUSY_PAUSE.toNanos());
            }
        }
    }

    @Override
    public void close() {
        try {
            lowerBarrier();
            unpin();
        } catch (IOException ignored) {
            // closing the connections releases the locks anyway
        }
        closeBoth();
    }

    private IOException failure(String what, SQLException e) {
        return new IOException("database %s: %s: %s".formatted(path, what, describe(e)), e);
    }

    static String describe(SQLException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static String queryString(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // no transaction was open
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing left to release
            }
        }
    }
}
