package io.litestream4j.jdbc;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.sqlite.jdbc4.JDBC4Connection;

/**
 * An ordinary sqlite-jdbc connection (it is a {@link org.sqlite.SQLiteConnection}) that tells the
 * driver when it closes, so the last one to close stops the database's replication.
 */
final class ReplicatedConnection extends JDBC4Connection {
    private final ReplicatedDatabases databases;
    private final Path database;
    private final AtomicBoolean released = new AtomicBoolean();

    ReplicatedConnection(String url, String fileName, Properties properties, ReplicatedDatabases databases, Path database) throws SQLException {
        super(url, fileName, properties);
        this.databases = databases;
        this.database = database;
    }

    /** Closes the connection; if it was the database's last, waits for the final sync to reach the replicas. */
    @Override
    public void close() throws SQLException {
        try {
            super.close();
        } finally {
            if (released.compareAndSet(false, true)) {
                databases.release(database);
            }
        }
    }
}
