package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The replicator's own SQLite connections, and the locks it takes with them.
 *
 * <ul>
 *   <li>The <b>pin</b>: a read transaction held on {@code reader} at all times except around our
 *       own checkpoints. While it is held, no checkpoint can copy WAL frames newer than the ones
 *       our snapshot of the database uses, so no one can restart the WAL over frames we have not
 *       copied yet.
 *   <li>The <b>barrier</b>: a write transaction on {@code writer} that is never committed. While it
 *       is held no frame can be appended, so copying the WAL tail and checkpointing happen with
 *       nothing landing in between. Held for milliseconds only; never across long work.
 * </ul>
 *
 * Both connections have auto-checkpoint off, so only this class's {@link #checkpoint} checkpoints
 * on our behalf. Not thread-safe: one database's sync loop owns it.
 */
final class SqliteLocks implements AutoCloseable {
    private final Path path;
    private final Connection reader;
    private final Connection writer;
    private boolean pinned;
    private boolean barrier;

    private SqliteLocks(Path path, Connection reader, Connection writer) {
        this.path = path;
        this.reader = reader;
        this.writer = writer;
    }

    /** Opens the database, makes sure it is in WAL mode, and creates Litestream's two tables. */
    static SqliteLocks open(Path path, Duration busyTimeout) throws IOException {
        Connection reader = null;
        Connection writer = null;
        try {
            reader = connect(path, busyTimeout);
            writer = connect(path, busyTimeout);
            try (Statement st = writer.createStatement()) {
                String mode = queryString(st, "PRAGMA journal_mode = wal");
                if (!"wal".equalsIgnoreCase(mode)) {
                    throw new IOException("database %s: cannot switch to WAL mode: journal mode is %s".formatted(path, mode));
                }
                createTables(st, path);
            }
            return new SqliteLocks(path, reader, writer);
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

    /** Litestream's two tables; creating them needs the write lock, so a busy database is retried. */
    private static void createTables(Statement st, Path path) throws SQLException, IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                st.execute("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
                st.execute("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");
                return;
            } catch (SQLException e) {
                if (e.getErrorCode() != 5 || attempt == 30) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while creating tables in " + path, ie);
                }
            }
        }
    }

    private static Connection connect(Path path, Duration busyTimeout) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + path.toAbsolutePath());
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
        try (Statement st = writer.createStatement()) {
            return Integer.parseInt(queryString(st, "PRAGMA page_size"));
        } catch (SQLException e) {
            throw failure("read page size", e);
        }
    }

    /** Takes the read transaction that pins the WAL (no-op if held). */
    void pin() throws IOException {
        if (pinned) {
            return;
        }
        try (Statement st = reader.createStatement()) {
            st.execute("BEGIN");
            queryString(st, "SELECT COUNT(1) FROM _litestream_seq");
            pinned = true;
        } catch (SQLException e) {
            rollbackQuietly(reader);
            throw failure("begin read transaction", e);
        }
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

    /** Blocks writers (waiting up to the busy timeout for the current one to finish). */
    void raiseBarrier() throws IOException {
        if (barrier) {
            return;
        }
        try (Statement st = writer.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            barrier = true;
        } catch (SQLException e) {
            if (e.getErrorCode() == 5 || String.valueOf(e.getMessage()).contains("SQLITE_BUSY")) {
                throw new BusyException(failure("take write lock", e));
            }
            throw failure("take write lock", e);
        }
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
    }

    /**
     * Runs a checkpoint in {@code mode} (PASSIVE or TRUNCATE) on the reader connection, with the
     * pin released for the duration and taken again after, even on failure.
     */
    CheckpointResult checkpoint(String mode) throws IOException {
        unpin();
        try (Statement st = reader.createStatement(); ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
            rs.next();
            return new CheckpointResult(rs.getInt(1) != 0, rs.getInt(2), rs.getInt(3));
        } catch (SQLException e) {
            throw failure("checkpoint " + mode, e);
        } finally {
            pin();
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
        closeQuietly(reader);
        closeQuietly(writer);
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
