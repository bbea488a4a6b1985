package io.litestream4j.bench.compare;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The application under both tools: one connection in WAL mode with {@code synchronous=NORMAL}
 * (what Litestream recommends) committing one-row transactions, each row stamped with the wall
 * clock in microseconds just before its commit.
 */
final class RowWriter implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement insert;

    RowWriter(Path db) throws SQLException {
        connection = DriverManager.getConnection("jdbc:sqlite:" + db);
        try (Statement st = connection.createStatement()) {
            st.execute("PRAGMA journal_mode = wal");
            st.execute("PRAGMA synchronous = normal");
            st.execute("PRAGMA busy_timeout = 5000");
            st.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pad BLOB)");
        }
        insert = connection.prepareStatement("INSERT INTO t (ts, pad) VALUES (?, randomblob(?))");
    }

    static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /** Commits one row of {@code padBytes} random bytes (auto-commit: one transaction). */
    void commit(int padBytes) throws SQLException {
        insert.setLong(1, nowMicros());
        insert.setInt(2, padBytes);
        insert.executeUpdate();
    }

    /** Commits one row in a {@code BEGIN IMMEDIATE} transaction; a refused one is rolled back. */
    void commitImmediate(int padBytes) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            try {
                commit(padBytes);
                st.execute("COMMIT");
            } catch (SQLException e) {
                st.execute("ROLLBACK");
                throw e;
            }
        }
    }

    /** Commits {@code rows} rows in one transaction. */
    void commitBatch(int rows, int padBytes) throws SQLException {
        connection.setAutoCommit(false);
        for (int i = 0; i < rows; i++) {
            insert.setLong(1, nowMicros());
            insert.setInt(2, padBytes);
            insert.executeUpdate();
        }
        connection.commit();
        connection.setAutoCommit(true);
    }

    @Override
    public void close() throws SQLException {
        insert.close();
        connection.close();
    }

    /** The newest commit's stamp in a (restored) database, or -1 if it has no rows. */
    static long newestStamp(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                var rs = st.executeQuery("SELECT coalesce(max(ts), -1) FROM t")) {
            return rs.getLong(1);
        }
    }

    static String integrityCheck(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                var rs = st.executeQuery("PRAGMA integrity_check")) {
            return rs.getString(1);
        }
    }
}
