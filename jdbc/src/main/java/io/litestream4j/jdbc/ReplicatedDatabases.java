package io.litestream4j.jdbc;

import io.litestream4j.NoBackupException;
import io.litestream4j.Replicator;
import io.litestream4j.Restore;
import io.litestream4j.core.restore.RestorePlanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The databases the driver replicates, each with its count of open connections. The first
 * connection to a database restores it if it is missing (an empty database if the replica has no
 * backup) and starts its replication; the last one to close stops it with a final sync. Opening
 * and the final close of one database are serialized, so a connection never sees a database that
 * is being restored or whose replication is stopping.
 *
 * <p>An application that exits without closing its connections (System.exit, SIGTERM) still gets
 * the final sync: while any database is replicated, a shutdown hook closes every replication.
 * A kill -9 gets none, as with any process; what was synced before it is in the replica.
 */
final class ReplicatedDatabases {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicatedDatabases.class);

    private record Replicated(Replicator replicator, List<String> replicas, int connections) {}

    private final Map<Path, Replicated> open = new HashMap<>();
    private Thread shutdownHook;

    /** Counts one more connection to {@code url}'s database, starting its replication if it is the first. */
    synchronized void acquire(JdbcUrl url) throws SQLException {
        Replicated r = open.get(url.database());
        if (r != null) {
            if (!r.replicas().equals(url.replicas())) {
                throw new SQLException("database %s is already replicated to %s by this process, not to %s: use one URL for it"
                        .formatted(url.database(), r.replicas(), url.replicas()));
            }
            open.put(url.database(), new Replicated(r.replicator(), r.replicas(), r.connections() + 1));
            return;
        }
        try {
            restoreOrCreate(url);
            Replicator.Builder b = Replicator.builder(url.database());
            url.replicas().forEach(b::replica);
            if (url.syncInterval() != null) {
                b.syncInterval(url.syncInterval());
            }
            open.put(url.database(), new Replicated(b.start(), url.replicas(), 1));
            if (shutdownHook == null) {
                shutdownHook = Thread.ofPlatform().name("litestream4j jdbc shutdown").unstarted(this::closeAllAtExit);
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
        } catch (IOException | RuntimeException e) {
            throw new SQLException("%s: cannot start replication: %s".formatted(url.database(), e.getMessage()), e);
        }
    }

    /** One connection to {@code database} closed; the last one stops its replication with a final sync. */
    synchronized void release(Path database) throws SQLException {
        Replicated r = open.get(database);
        if (r == null) {
            return;
        }
        if (r.connections() > 1) {
            open.put(database, new Replicated(r.replicator(), r.replicas(), r.connections() - 1));
            return;
        }
        open.remove(database);
        if (open.isEmpty()) {
            removeShutdownHook();
        }
        try {
            r.replicator().close();
        } catch (IOException e) {
            throw new SQLException("%s: the last connection closed, but the final sync did not reach every replica: %s".formatted(database, e.getMessage()), e);
        }
    }

    private void removeShutdownHook() {
        if (shutdownHook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it finds nothing left to close
        }
        shutdownHook = null;
    }

    /** The JVM is exiting with connections still open: a final sync of every database, each bounded by the replicator's shutdown timeout. */
    private synchronized void closeAllAtExit() {
        for (var e : open.entrySet()) {
            try {
                e.getValue().replicator().close();
                LOG.log(System.Logger.Level.INFO, "{0}: final sync at exit done (connections were left open)", e.getKey());
            } catch (IOException | RuntimeException x) {
                LOG.log(System.Logger.Level.ERROR, "{0}: final sync at exit failed: {1}", e.getKey(), x.getMessage());
            }
        }
        open.clear();
    }

    /** The running replication of {@code database}, if a connection to it is open. */
    synchronized Replicator replicator(Path database) {
        Replicated r = open.get(database);
        return r == null ? null : r.replicator();
    }

    /** A missing database is restored from the first replica, or created empty in WAL mode if that replica has no backup. */
    private static void restoreOrCreate(JdbcUrl url) throws IOException, SQLException {
        if (Files.exists(url.database())) {
            return;
        }
        String from = url.replicas().getFirst();
        try {
            Restore.Result r = Restore.from(from).into(url.database());
            LOG.log(System.Logger.Level.INFO, "{0} did not exist: restored from {1} to TXID {2}", url.database(), from, r.txidHex());
            return;
        } catch (NoBackupException e) {
            LOG.log(System.Logger.Level.INFO, "{0} does not exist and {1} has no backup: creating an empty database", url.database(), from);
        }
        Files.createDirectories(url.database().toAbsolutePath().getParent());
        try (Connection c = new org.sqlite.JDBC().connect("jdbc:sqlite:" + url.database(), new Properties());
                Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = wal"); // written into the file's header: the replicator needs WAL mode
        }
    }
}
