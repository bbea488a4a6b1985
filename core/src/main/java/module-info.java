/**
 * litestream4j's engine as a library. Exported: the library's API ({@code io.litestream4j}:
 * {@code Replicator}, {@code Restore} and the values they take and give), the backend contract
 * ({@code io.litestream4j.core.replica}: {@code ReplicaClient}, its factories and capabilities,
 * which each backend module implements), and {@code io.litestream4j.core.log} ({@code Loggers},
 * which backend modules' classes use as core's do). Everything else (the database follower, the L0 writer,
 * the checkpointer, compaction, restore planning, atomic file helpers) is internal and may change
 * in any release.
 */
module io.litestream4j.core {
    requires transitive io.litestream4j.ltx;
    requires transitive java.sql;
    requires java.net.http;
    requires jdk.unsupported;
    requires org.xerial.sqlitejdbc;
    requires org.lz4.java; // Litestream 0.3's WAL segments
    requires com.exceptionfactory.jagged; // age encryption
    requires com.exceptionfactory.jagged.framework;
    requires com.exceptionfactory.jagged.x25519;

    exports io.litestream4j;
    exports io.litestream4j.core.replica;
    exports io.litestream4j.core.log; // the loggers every module's classes hold

    uses io.litestream4j.core.replica.ReplicaClientFactory;

    provides io.litestream4j.core.replica.ReplicaClientFactory with io.litestream4j.core.replica.FileReplicaClientFactory;
}
