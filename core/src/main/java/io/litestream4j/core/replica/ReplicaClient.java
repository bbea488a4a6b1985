package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * A place LTX files are kept: a folder, a bucket, a server. Files are addressed by level (0 to 9)
 * and TXID range; a file, once written, is never modified, only deleted.
 *
 * <p>Implementations are found by URL scheme through {@link ReplicaClientFactory}. Cross-cutting
 * behaviour (retries, metrics, fault injection) wraps a client as a decorator.
 */
public interface ReplicaClient extends AutoCloseable {
    /** The backend's type as Litestream names it ({@code file}, {@code s3}, ...), for logs and metrics. */
    String type();

    /** Where the replica is, for messages: a URL without credentials. */
    String location();

    /**
     * The least time between two uploads unless configured: object stores bill per request, so
     * 1 s (Litestream's default) batches what arrives meanwhile into one file; local folders
     * override it with zero.
     */
    default java.time.Duration defaultSyncInterval() {
        return java.time.Duration.ofSeconds(1);
    }

    /**
     * The files of {@code level} whose max TXID is at least {@code fromTxid}, sorted by min TXID
     * (then max TXID). Names that are not LTX file names are ignored. An empty or missing level
     * gives an empty list, not an error.
     */
    List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException;

    /**
     * Like {@link #listFiles}, but each {@code createdAt} is the time the file's data was written
     * as its writer recorded it, not when the backend received it, for point-in-time restores.
     * Backends whose listing already carries that time need not override; others may spend a
     * request per file.
     */
    default List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return listFiles(level, fromTxid);
    }

    /**
     * Opens {@code length} bytes of a file from {@code offset}, or to its end when {@code length}
     * is negative. A missing file is a {@link java.nio.file.NoSuchFileException} naming it.
     */
    InputStream open(int level, TxidRange range, long offset, long length) throws IOException;

    /**
     * Stores a file, replacing one of the same name. Atomic: a reader sees the whole file or no
     * file, never part of one, even if the writer crashes. {@code createdAt} is recorded as the
     * file's timestamp (the LTX header's timestamp is the authority).
     */
    LtxFileInfo write(int level, TxidRange range, InputStream data, Instant createdAt) throws IOException;

    /** Deletes files of {@code level}; files already gone are not an error. */
    void delete(int level, List<TxidRange> ranges) throws IOException;

    /** Deletes every file of the replica. */
    void deleteAll() throws IOException;

    @Override
    default void close() throws IOException {}
}
