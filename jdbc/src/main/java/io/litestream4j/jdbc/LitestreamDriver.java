package io.litestream4j.jdbc;

import io.litestream4j.Replicator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * {@code jdbc:litestream:PATH?replica=URL[&replica=URL2][&sync-interval=1s][&SQLITE_PARAM=...]}:
 * SQLite through sqlite-jdbc, replicated in-process. The first connection to a database restores
 * it from the first replica if the file is missing (or creates it empty if that replica has no
 * backup) and starts replicating it to every replica; every connection is an ordinary sqlite-jdbc
 * connection; closing the last one stops the replication after a final sync that the replicas
 * take before {@code close()} returns. Parameters other than {@code replica} and
 * {@code sync-interval} are sqlite-jdbc's ({@code busy_timeout=5000}, {@code foreign_keys=true},
 * ...). Registered with {@link DriverManager} through {@code META-INF/services/java.sql.Driver}.
 */
public final class LitestreamDriver implements Driver {
    private static final ReplicatedDatabases DATABASES = new ReplicatedDatabases();

    static {
        try {
            DriverManager.registerDriver(new LitestreamDriver());
        } catch (SQLException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        if (!acceptsURL(url)) {
            return null; // DriverManager asks every driver: the URL is another's
        }
        JdbcUrl parsed;
        try {
            parsed = JdbcUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new SQLException(e.getMessage(), e);
        }
        DATABASES.acquire(parsed);
        try {
            return new ReplicatedConnection("jdbc:sqlite:" + parsed.sqliteFileName(), parsed.sqliteFileName(),
                    info == null ? new Properties() : info, DATABASES, parsed.database());
        } catch (SQLException | RuntimeException e) {
            DATABASES.release(parsed.database());
            throw e;
        }
    }

    /**
     * The replication behind {@code database}'s open connections (for {@link Replicator#awaitReplicated}
     * and {@link Replicator#status}), or null if none is open. Closing it is the last connection's job.
     */
    public static Replicator replicator(Path database) {
        return DATABASES.replicator(database.toAbsolutePath().normalize());
    }

    @Override
    public boolean acceptsURL(String url) {
        return JdbcUrl.accepts(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
        return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
        return 0;
    }

    @Override
    public int getMinorVersion() {
        return 1;
    }

    @Override
    public boolean jdbcCompliant() {
        return false; // SQLite's dialect, as sqlite-jdbc
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("litestream driver: logs through System.Logger");
    }
}
