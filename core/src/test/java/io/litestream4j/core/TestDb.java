package io.litestream4j.core;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Real SQLite databases for tests, opened the way an application opens them: WAL mode, a busy
 * timeout, SQLite's own auto-checkpoint left on unless a test turns it off.
 *
 * <p>Tests must never read a database file with their own file descriptors while connections are
 * open in this JVM: closing such a descriptor drops SQLite's POSIX locks. Content is compared
 * through SQL ({@link #digest}).
 */
public final class TestDb {
    private TestDb() {}

    public static Connection open(Path path) throws SQLException {
        return open(path, 5000);
    }

    public static Connection open(Path path, int busyTimeoutMillis) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + path.toAbsolutePath());
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA busy_timeout = " + busyTimeoutMillis);
            st.execute("PRAGMA journal_mode = wal");
        }
        return c;
    }

    public static void exec(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    public static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Creates a database with a table {@code t(id INTEGER PRIMARY KEY, v BLOB)} and some rows. */
    public static Path create(Path dir, String name, int pageSize, int rows) throws SQLException {
        Path db = dir.resolve(name);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            exec(c, "PRAGMA page_size = " + pageSize, "PRAGMA journal_mode = wal",
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
            insert(c, rows, 100);
        }
        return db;
    }

    public static void insert(Connection c, int rows, int size) throws SQLException {
        try (var ps = c.prepareStatement("INSERT INTO t (v) VALUES (randomblob(?))")) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            for (int i = 0; i < rows; i++) {
                ps.setInt(1, size);
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(auto);
        }
    }

    /**
     * SHA-256 over every row of every table (sorted by name, rows by rowid) and the schema: equal
     * digests mean equal logical content.
     */
    public static String digest(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath())) {
            return digest(c);
        }
    }

    public static String digest(Connection c) throws SQLException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        List<String> tables = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
                md.update((rs.getString(1) + "|" + rs.getString(2) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        for (String table : tables) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM \"" + table + "\" ORDER BY rowid")) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= n; i++) {
                        byte[] b = rs.getBytes(i);
                        md.update(b == null ? "NULL".getBytes(StandardCharsets.UTF_8) : b);
                        md.update((byte) '|');
                    }
                    md.update((byte) '\n');
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String integrityCheck(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
