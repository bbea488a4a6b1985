package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A place LTX files are kept: a folder, a bucket, a server. Files are addressed by level (0 to 9)
 * and TXID range; a file, once written, is never modified, only deleted.
 *
 * <p>Implementations are found by URL scheme through {@link ReplicaClientFactory}. Cross-cutting
 * behaviour (retries, metrics, fault injection) wraps a client as a decorator
 * ({@link ForwardingReplicaClient}). What only some backends can do is a capability (see
 * {@link #capability}).
 */
public interface ReplicaClient extends AutoCloseable {
    /** The backend's type as Litestream names it ({@code file}, {@code s3}, ...), for logs and metrics. */
    String type();

    /** Where the replica is, for messages: a URL without credentials. */
    String location();

    /**
     * The files of {@code level} whose max TXID is at least {@code fromTxid}, sorted by min TXID
     * (then max TXID). Names that are not LTX file names are ignored. An empty or missing level
     * gives an empty list, not an error. Each {@code createdAt} may be the upload time; the time
     * the writer recorded is what {@link ExactListings} gives.
     */
    List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException;

    /**
     * Opens a whole file. A missing file is a {@link java.nio.file.NoSuchFileException} naming it.
     * Parts of a file: {@link ReplicaReads#open}, which uses the store's own ranged reads where it
     * has them ({@link RangedReads}).
     */
    InputStream open(int level, TxidRange range) throws IOException;

    /**
     * Stores a file of {@code size} bytes read from {@code data}, replacing one of the same name.
     * Every caller has the file on local disk, so the size is known before the first byte: a
     * backend can send a Content-Length and need not buffer the file. Atomic: a reader sees the
     * whole file or no file, never part of one, even if the writer crashes or {@code data} fails
     * half-way. {@code data} holding fewer or more than {@code size} bytes is an error and stores
     * nothing ({@link SizedInput} checks it). {@code createdAt} is recorded as the file's
     * timestamp where the backend can keep one (the LTX header's timestamp is the authority).
     */
    LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException;

    /**
     * Deletes one file of {@code level}; a file already gone is not an error. Many files:
     * {@link ReplicaDeletes#delete}, which uses the store's batch delete where it has one
     * ({@link BatchDelete}).
     */
    void delete(int level, TxidRange range) throws IOException;

    /** Deletes every file of the replica. */
    void deleteAll() throws IOException;

    /**
     * This client's optional capability of type {@code type} ({@link ExactTimestamps},
     * {@link RangedReads}, {@link BatchDelete}, {@link LocalFiles}, {@link LeaseStore}, {@link LegacyLayout}), if it has it. A capability is
     * a separate interface rather than a method every backend must write; asking through this
     * method rather than with {@code instanceof} finds it behind decorators
     * ({@link ForwardingReplicaClient}) and lets a client hand out a helper object that implements
     * it.
     */
    default <T> Optional<T> capability(Class<T> type) {
        return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
    }

    @Override
    default void close() throws IOException {}
}
