package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.ExactTimestamps;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.SizedInput;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.impl.Headers;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica in a NATS JetStream object store bucket, laid out exactly as Litestream 0.5 writes
 * it: objects {@code ltx/<level>/<min>-<max>.ltx} (the bucket is the replica: no path prefix),
 * each with the header {@code Litestream-Timestamp} holding the file's time in RFC 3339 with
 * nanoseconds, so either tool restores the other's replica.
 *
 * <p>Guarantees. A write publishes the object's chunks, then its metadata; only the metadata
 * makes an object visible, so a write that fails part-way (the input fails, the connection
 * drops) leaves nothing listed or readable (jnats then purges the stray chunks if it still can).
 * Reads stream the object a chunk at a time ({@link ChunkInputStream}); the store has no ranged
 * reads, so an offset costs reading the bytes before it. A listing reads the metadata of every
 * object in the bucket and keeps one level's (as Litestream does; it carries the timestamps, so
 * {@link #listFilesExact} costs nothing more).
 */
public final class NatsReplicaClient implements ReplicaClient, ExactTimestamps, LegacyLayout {
    /** The object header holding a file's time, as Litestream spells it. */
    static final String TIMESTAMP_HEADER = "Litestream-Timestamp";
    /** jnats' code for a missing object ({@code IllegalArgumentException "[OS-90201] The object was not found."}). */
    private static final String OBJECT_NOT_FOUND = "OS-90201";
    /** Go's RFC3339Nano: fraction digits only as many as needed, none for whole seconds. */
    private static final DateTimeFormatter RFC3339_NANO = new java.time.format.DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd'T'HH:mm:ss").optionalStart().appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 0, 9, true)
            .optionalEnd().appendLiteral('Z').toFormatter().withZone(ZoneOffset.UTC);

    private final NatsSettings settings;
    private final BucketConnection connection;

    public NatsReplicaClient(NatsSettings settings) {
        this.settings = settings;
        this.connection = new BucketConnection(settings);
    }

    @Override
    public String type() {
        return "nats";
    }

    @Override
    public String location() {
        return settings.describe();
    }

    static String objectName(int level, TxidRange range) {
        return "ltx/%d/%s".formatted(level, range.fileName());
    }

    private String where(String object) {
        return settings.describe() + " object " + object;
    }

    /** The listing carries the writer's times already. */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return listFiles(level, fromTxid);
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        String prefix = "ltx/%d/".formatted(level);
        List<LtxFileInfo> out = new ArrayList<>();
        for (ObjectInfo o : allObjects()) {
            String name = o.getObjectName();
            if (!name.startsWith(prefix)) {
                continue;
            }
            TxidRange.fromFileName(name.substring(prefix.length())).filter(range -> range.max() >= fromTxid)
                    .ifPresent(range -> out.add(new LtxFileInfo(level, range, o.getSize(), timestamp(o))));
        }
        out.sort(LtxFileInfo.BY_TXIDS);
        return out;
    }

    private List<ObjectInfo> allObjects() throws IOException {
        var bucket = connection.bucket();
        try {
            return bucket.store().getList();
        } catch (JetStreamApiException e) {
            throw NatsErrors.io("list the bucket's objects", settings, e);
        } catch (InterruptedException e) {
            throw interrupted("listing", e);
        } catch (IOException | RuntimeException e) {
            throw NatsErrors.io("list the bucket's objects", settings, e);
        }
    }

    /** The {@code Litestream-Timestamp} header; an object without one (not written by Litestream) counts from its upload. */
    static Instant timestamp(ObjectInfo o) {
        Headers headers = o.getHeaders();
        if (headers != null) {
            List<String> values = headers.getIgnoreCase(TIMESTAMP_HEADER);
            if (values != null && !values.isEmpty()) {
                try {
                    return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(values.getFirst(), Instant::from);
                } catch (DateTimeParseException unreadable) {
                    // fall back to the upload time, as Litestream does
                }
            }
        }
        return o.getModified() != null ? o.getModified().toInstant() : Instant.EPOCH;
    }

    static String formatTimestamp(Instant t) {
        return RFC3339_NANO.format(t);
    }

    /** The whole object, chunk by chunk: NATS reads no part of an object by itself (no {@code RangedReads}). */
    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return openObject(objectName(level, range), "an LTX file");
    }

    private InputStream openObject(String name, String what) throws IOException {
        var bucket = connection.bucket();
        ObjectInfo info;
        try {
            info = bucket.store().getInfo(name);
        } catch (JetStreamApiException | IOException | RuntimeException e) {
            throw NatsErrors.io("read " + name, settings, e);
        }
        if (info == null) {
            throw new NoSuchFileException(where(name));
        }
        if (info.isLink()) {
            throw new IOException("%s: is a link, not %s".formatted(where(name), what));
        }
        return new ChunkInputStream(bucket.management(), bucket.streamName(), info, where(name));
    }

    /**
     * Litestream 0.3 never wrote to NATS (it had no such backend): a 0.3 backup copied into the
     * bucket keeps its layout at the bucket's root, {@code generations/<id>/...}, as LTX files sit
     * under {@code ltx/}. One listing of the bucket, as for the LTX files.
     */
    @Override
    public boolean holdsLitestream03() throws IOException {
        return allObjects().stream().anyMatch(o -> o.getObjectName().startsWith(FOLDER));
    }

    /** A file's time is its upload time: 0.3 kept none of its own. */
    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        return allObjects().stream().filter(o -> o.getObjectName().startsWith(FOLDER) && !o.isLink())
                .map(o -> new LegacyFile(o.getObjectName(), o.getSize(), o.getModified() != null ? o.getModified().toInstant() : Instant.EPOCH)).toList();
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        return openObject(LegacyLayout.checkedPath(location(), path), "a Litestream 0.3 file");
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String name = objectName(level, range);
        var bucket = connection.bucket();
        Headers headers = new Headers().put(TIMESTAMP_HEADER, formatTimestamp(createdAt));
        ObjectMeta meta = ObjectMeta.builder(name).headers(headers).build();
        SizedInput sized = new SizedInput(new KeptOpen(data), size, where(name));
        ObjectInfo info = null;
        IOException failure = null;
        WritesInFlight writes = connection.writes();
        writes.begin();
        try {
            info = bucket.store().put(meta, new FullReads(sized));
        } catch (JetStreamApiException | NoSuchAlgorithmException | RuntimeException e) {
            failure = NatsErrors.io("write " + name, settings, e);
        } catch (IOException e) {
            // The input's own failure already names the object.
            failure = e.getMessage() != null && e.getMessage().startsWith(where(name)) ? e : NatsErrors.io("write " + name, settings, e);
        } finally {
            // A write cut off by the lost connection (WritesInFlight) fails as that, not as the
            // interrupt jnats saw; its interrupt is cleared there, so the caller writes again
            // instead of taking it for a request to stop.
            if (writes.end() && failure != null) {
                IOException lost = new IOException("nats replica %s: write %s: the connection was lost while waiting for its answer; written again after the reconnect"
                        .formatted(settings.describe(), name));
                lost.initCause(failure);
                failure = lost;
            }
        }
        if (failure != null) {
            throw failure;
        }
        if (info.getSize() != size) {
            throw new IOException("%s: stored %d bytes; want %d".formatted(where(name), info.getSize(), size));
        }
        return new LtxFileInfo(level, range, size, createdAt);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        deleteObject(connection.bucket(), objectName(level, range));
    }

    private void deleteObject(BucketConnection.Bucket bucket, String name) throws IOException {
        try {
            bucket.store().delete(name);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || !e.getMessage().contains(OBJECT_NOT_FOUND)) {
                throw NatsErrors.io("delete " + name, settings, e);
            }
            // never existed: deleting it is done
        } catch (JetStreamApiException | IOException | RuntimeException e) {
            throw NatsErrors.io("delete " + name, settings, e);
        }
    }

    /**
     * Deletes every LTX file ({@code ltx/...}) in the bucket. Other objects are left alone:
     * unlike Litestream, which empties the whole bucket, since the bucket may be shared.
     */
    @Override
    public void deleteAll() throws IOException {
        var bucket = connection.bucket();
        for (ObjectInfo o : allObjects()) {
            if (o.getObjectName().startsWith("ltx/")) {
                deleteObject(bucket, o.getObjectName());
            }
        }
    }

    private InterruptedIOException interrupted(String doing, InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException io = new InterruptedIOException("nats replica %s: interrupted while %s".formatted(settings.describe(), doing));
        io.initCause(e);
        return io;
    }

    @Override
    public void close() {
        connection.close();
    }

    /**
     * Reads that fill the whole buffer unless the input ends: jnats publishes one chunk per
     * {@code read}, so an input giving a few bytes at a time would otherwise make as many tiny
     * chunks (and requests).
     */
    private static final class FullReads extends FilterInputStream {
        FullReads(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.readNBytes(b, off, len);
            return n == 0 && len > 0 ? -1 : n;
        }
    }

    /** jnats closes the input it is given; the caller owns {@code data} and closes it. */
    private static final class KeptOpen extends FilterInputStream {
        KeptOpen(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the caller's stream: theirs to close
        }
    }
}
