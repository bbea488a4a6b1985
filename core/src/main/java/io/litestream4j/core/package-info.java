/**
 * The replication engine: reading a database's write-ahead log, writing L0 LTX files, checkpoints,
 * replica clients, upload loops, compaction, retention and restore. Usable as a library.
 */
package io.litestream4j.core;
