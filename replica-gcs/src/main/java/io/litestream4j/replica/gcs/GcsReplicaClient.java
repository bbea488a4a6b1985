package io.litestream4j.replica.gcs;

import com.google.api.gax.paging.Page;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import io.litestream4j.core.replica.Causes;
import io.litestream4j.core.replica.ExactTimestamps;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.RangedReads;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.SizedInput;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A replica in a Google Cloud Storage bucket, laid out exactly as Litestream 0.5 writes it:
 * objects {@code <path>/ltx/<level>/<min>-<max>.ltx}, each carrying the time its data was written
 * as the {@code litestream-timestamp} metadata (RFC 3339 with nanoseconds, as Go prints it). The
 * listing returns that metadata, so {@link #listFiles} already gives the writer's times at no
 * extra request (Litestream falls back to the object's creation time, and so do we).
 *
 * <p>Writes are resumable uploads: the service makes an object visible only when the upload's
 * last chunk arrives with the total size, so an input that fails half-way leaves no object (the
 * unfinished session is never completed; the service drops it after a week). The writer holds one
 * chunk in memory at a time. Reads are ranged; deletes are one request per object (as Litestream;
 * the emulator refuses batch requests), several at a time.
 *
 * <p>Transient failures (timeouts, 408/429/5xx, resets) are retried by the client with
 * exponential backoff, briefly: the replicator retries the whole operation on its own schedule.
 * Every error names the replica; the client holds no secret of its own (credentials stay inside
 * Google's credential objects).
 */
public final class GcsReplicaClient implements ReplicaClient, RangedReads, ExactTimestamps, LegacyLayout {
    static final String TIMESTAMP_METADATA = "litestream-timestamp";
    /** The chunk of a resumable upload on Google Cloud Storage (a multiple of 256 KiB): the memory a write holds. */
    static final int CHUNK_SIZE = 16 << 20;
    /** The emulator's largest request body (it reads each upload's body whole, up to 130 MB). */
    static final int EMULATOR_MAX_BODY = 128 << 20;
    private static final int CHUNK_GRANULARITY = 256 << 10;
    private static final int PARALLEL_REQUESTS = 16;

    private final GcsSettings settings;
    private final Storage storage;

    GcsReplicaClient(GcsSettings settings, Storage storage) {
        this.settings = settings;
        this.storage = storage;
    }

    /**
     * A client for {@code settings}: against the emulator without credentials, else with Google's
     * default credentials, whose absence is an error here (before the first request) saying where
     * they are looked for.
     */
    public static GcsReplicaClient open(GcsSettings settings) throws IOException {
        return new GcsReplicaClient(settings, storage(settings, credentials(settings)));
    }

    private static Credentials credentials(GcsSettings settings) throws IOException {
        if (settings.emulator() != null) {
            return NoCredentials.getInstance();
        }
        String where = "gs replica " + settings.describe() + ": ";
        if (settings.credentialsFile() != null) {
            try (InputStream in = Files.newInputStream(settings.credentialsFile())) {
                return GoogleCredentials.fromStream(in);
            } catch (NoSuchFileException e) {
                throw new IOException(where + "GOOGLE_APPLICATION_CREDENTIALS names %s, which does not exist".formatted(settings.credentialsFile()));
            } catch (IOException | RuntimeException e) {
                // The parser's message may quote the file's contents (a private key): name the file only.
                throw new IOException(where + "GOOGLE_APPLICATION_CREDENTIALS names %s, which is not a Google credentials file (%s)"
                        .formatted(settings.credentialsFile(), e.getClass().getSimpleName()));
            }
        }
        try {
            return GoogleCredentials.getApplicationDefault();
        } catch (IOException e) {
            throw new IOException(where + "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, "
                    + "run `gcloud auth application-default login`, or run on Google Cloud with a service account", e);
        }
    }

    static Storage storage(GcsSettings settings, Credentials credentials) {
        var builder = StorageOptions.http().setCredentials(credentials)
                // A few quick tries per request; the replicator's own loop retries after that.
                .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(4).setInitialRetryDelayDuration(Duration.ofMillis(500))
                        .setRetryDelayMultiplier(2).setMaxRetryDelayDuration(Duration.ofSeconds(8)).setTotalTimeoutDuration(Duration.ofMinutes(2))
                        .build())
                .setTransportOptions(HttpTransportOptions.newBuilder().setConnectTimeout(10_000).setReadTimeout(60_000).build());
        if (settings.emulator() != null) {
            // The Java client ignores STORAGE_EMULATOR_HOST by itself; a project is needed only to
            // skip the search for one (which may ask a metadata server that is not there).
            builder.setHost(settings.emulator().toString()).setProjectId("litestream4j-emulator");
        }
        return builder.build().getService();
    }

    @Override
    public String type() {
        return "gs";
    }

    @Override
    public String location() {
        return settings.describe();
    }

    /** {@code <path>/ltx/} (Litestream's {@code path.Join}: no leading slash for the bucket's root). */
    private String ltxPrefix() {
        return (settings.path().isEmpty() ? "" : settings.path() + "/") + "ltx/";
    }

    private String levelPrefix(int level) {
        return ltxPrefix() + level + "/";
    }

    /** The object name of a file: {@code <path>/ltx/<level>/<min>-<max>.ltx}. */
    String objectName(int level, TxidRange range) {
        return levelPrefix(level) + range.fileName();
    }

    private BlobId blobId(String name) {
        return BlobId.of(settings.bucket(), name);
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        String prefix = levelPrefix(level);
        List<LtxFileInfo> out = new ArrayList<>();
        try {
            Page<Blob> page = storage.list(settings.bucket(), Storage.BlobListOption.prefix(prefix));
            for (Blob blob : page.iterateAll()) {
                String name = blob.getName().substring(prefix.length());
                Optional<TxidRange> range = name.contains("/") ? Optional.empty() : TxidRange.fromFileName(name);
                if (range.isPresent() && Long.compareUnsigned(range.get().max(), fromTxid) >= 0) {
                    out.add(new LtxFileInfo(level, range.get(), blob.getSize() == null ? 0 : blob.getSize(), recordedTime(blob)));
                }
            }
        } catch (RuntimeException e) {
            throw failure("list level " + level, e);
        }
        out.sort(LtxFileInfo.BY_TXIDS);
        return out;
    }

    /** The listing carries the writer's times already (the metadata comes with it). */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return listFiles(level, fromTxid);
    }

    /** The {@code litestream-timestamp} metadata, else (as Litestream) the object's creation time. */
    private static Instant recordedTime(BlobInfo blob) {
        Map<String, String> metadata = blob.getMetadata();
        String recorded = metadata == null ? null : metadata.get(TIMESTAMP_METADATA);
        if (recorded != null) {
            try {
                return OffsetDateTime.parse(recorded, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                // Litestream ignores an unreadable value too; the LTX header holds the authority.
            }
        }
        OffsetDateTime created = blob.getCreateTimeOffsetDateTime();
        if (created == null) {
            created = blob.getUpdateTimeOffsetDateTime();
        }
        return created != null ? created.toInstant() : Instant.EPOCH;
    }

    /** Go's {@code time.RFC3339Nano}: UTC, the fraction without trailing zeros (none when whole seconds). */
    static String rfc3339Nano(Instant t) {
        String iso = DateTimeFormatter.ISO_INSTANT.format(t); // the fraction in groups of three digits, if any
        return iso.replaceFirst("(\\.\\d*?)0+Z$", "$1Z").replace(".Z", "Z");
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return open(level, range, 0, -1);
    }

    @Override
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        return openObject(objectName(level, range), offset, length, "ltx file");
    }

    /** Opens {@code length} bytes (-1: to the end) of object {@code name} from {@code offset}; a missing one is named as {@code what}. */
    private InputStream openObject(String name, long offset, long length, String what) throws IOException {
        if (settings.emulator() != null && offset > 0 && offset >= objectSize(name)) {
            return InputStream.nullInputStream(); // the range starts at or past the end
        }
        PushbackInputStream in;
        try {
            ReadChannel channel = storage.reader(blobId(name));
            if (offset > 0) {
                channel.seek(offset);
            }
            if (length > 0) {
                channel = channel.limit(offset + length);
            }
            in = new PushbackInputStream(new NamingInput(Channels.newInputStream(channel), name), 1);
        } catch (RuntimeException e) {
            throw failure("get " + name, e);
        }
        // The client asks for the object on the first read: make that happen here, so a missing
        // file is NoSuchFileException from open, as the contract says.
        try {
            int first = in.read();
            if (first >= 0) {
                in.unread(first);
            }
            return in;
        } catch (IOException e) {
            in.close();
            StorageException se = storageException(e);
            if (se != null && se.getCode() == 404) {
                throw new NoSuchFileException(name, null, what + " not found in replica " + location());
            }
            if (se != null && se.getCode() == 416) {
                return InputStream.nullInputStream(); // the range starts at or past the end
            }
            throw e;
        }
    }

    private String root() {
        return settings.path().isEmpty() ? "" : settings.path() + "/";
    }

    /** One LIST of at most one object: is there anything under {@code <path>/generations/}? */
    @Override
    public boolean holdsLitestream03() throws IOException {
        String prefix = root() + FOLDER;
        try {
            return storage.list(settings.bucket(), Storage.BlobListOption.prefix(prefix), Storage.BlobListOption.pageSize(1)).getValues().iterator().hasNext();
        } catch (RuntimeException e) {
            throw failure("list " + prefix, e);
        }
    }

    /** Litestream 0.3 kept no time of its own on GCS: a file's time is the object's creation, as 0.3 read it. */
    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        String root = root();
        List<LegacyFile> out = new ArrayList<>();
        try {
            for (Blob blob : storage.list(settings.bucket(), Storage.BlobListOption.prefix(root + FOLDER)).iterateAll()) {
                out.add(new LegacyFile(blob.getName().substring(root.length()), blob.getSize() == null ? 0 : blob.getSize(), recordedTime(blob)));
            }
        } catch (RuntimeException e) {
            throw failure("list " + root + FOLDER, e);
        }
        return out;
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        return openObject(root() + LegacyLayout.checkedPath(location(), path), 0, -1, "Litestream 0.3 file");
    }

    /**
     * The object's size, for a range that does not start at 0: the Storage emulator answers a range
     * starting past the end with the whole object (real GCS answers 416), which the client then
     * hands out as the range. One metadata request per read that starts mid-file, on the
     * emulator only: a VFS reads every page that way, and real GCS needs no help.
     */
    private long objectSize(String name) throws IOException {
        Blob blob;
        try {
            blob = storage.get(blobId(name), Storage.BlobGetOption.fields(Storage.BlobField.SIZE));
        } catch (RuntimeException e) {
            throw failure("get " + name, e);
        }
        if (blob == null) {
            throw new NoSuchFileException(name, null, "ltx file not found in replica " + location());
        }
        return blob.getSize();
    }

    /** Turns the client's failures while reading a body into IOExceptions naming the object. */
    private final class NamingInput extends java.io.FilterInputStream {
        private final String name;

        NamingInput(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                throw failure("read " + name, e);
            }
        }
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String name = objectName(level, range);
        BlobInfo info = BlobInfo.newBuilder(blobId(name)).setContentType("application/octet-stream")
                .setMetadata(Map.of(TIMESTAMP_METADATA, rfc3339Nano(createdAt))).build();
        SizedInput body = new SizedInput(data, size, "gs replica %s: put %s".formatted(location(), name));
        int chunk = chunkSize(size);
        WriteChannel writer;
        try {
            writer = storage.writer(info);
            writer.setChunkSize(chunk);
        } catch (RuntimeException e) {
            throw failure("put " + name, e);
        }
        // Never close the writer before the whole body has been read: closing completes the
        // upload, which would store a short object. Abandoned, the session stores nothing.
        byte[] buffer = new byte[Math.min(chunk, 1 << 20)];
        try {
            for (int n; (n = body.read(buffer)) >= 0;) {
                ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
                while (bytes.hasRemaining()) {
                    writer.write(bytes);
                }
            }
            body.requireEnd();
            writer.close();
        } catch (IOException | RuntimeException e) {
            throw failure("put " + name, e); // the input or the service failed; nothing was stored
        }
        if (settings.emulator() != null) {
            requireWholeOnEmulator(name, size);
        }
        return new LtxFileInfo(level, range, size, createdAt);
    }

    /**
     * The emulator completes a resumable upload at the first PUT it receives, whatever arrived:
     * a connection reset part-way, or the client's status query after one, stores a short object
     * and answers as if the upload were whole (seen in GcsFlakyStorageTest: a 0-byte L0 file
     * listed, the restore failed on it). Google Cloud Storage completes an upload only when the
     * declared total has arrived, so this extra request is made on the emulator only. A short
     * object is deleted (that generation only) and the write fails, to be retried whole.
     */
    private void requireWholeOnEmulator(String name, long size) throws IOException {
        com.google.cloud.storage.Blob stored;
        try {
            stored = storage.get(blobId(name), Storage.BlobGetOption.fields(Storage.BlobField.SIZE, Storage.BlobField.GENERATION));
        } catch (RuntimeException e) {
            throw failure("put " + name + ": check the stored size", e);
        }
        long got = stored == null ? -1 : stored.getSize();
        if (got == size) {
            return;
        }
        try {
            if (stored != null) {
                storage.delete(BlobId.of(settings.bucket(), name, stored.getGeneration()));
            }
        } catch (RuntimeException e) {
            throw failure("put %s: the emulator stored %d bytes, want %d; delete the short object".formatted(name, got, size), e);
        }
        throw new IOException("gs replica %s: put %s: the emulator stored %s, want %d bytes (an interrupted upload it completed anyway); deleted, to be written again"
                .formatted(location(), name, got < 0 ? "nothing" : got + " bytes", size));
    }

    /**
     * One chunk on Google Cloud Storage; on the emulator the whole file in one chunk, because it
     * completes a resumable upload at its first PUT (whatever Content-Range says): a file larger
     * than one chunk would be stored short. One byte more than the file so the last PUT is the first.
     */
    private int chunkSize(long size) {
        if (settings.emulator() == null) {
            return CHUNK_SIZE;
        }
        long rounded = (size / CHUNK_GRANULARITY + 1) * CHUNK_GRANULARITY;
        return (int) Math.min(rounded, EMULATOR_MAX_BODY);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        deleteObjects(List.of(objectName(level, range)));
    }

    @Override
    public void deleteAll() throws IOException {
        String prefix = ltxPrefix();
        List<String> names = new ArrayList<>();
        try {
            for (Blob blob : storage.list(settings.bucket(), Storage.BlobListOption.prefix(prefix)).iterateAll()) {
                // Only the level folders: nothing else a user keeps under the same path.
                if (blob.getName().substring(prefix.length()).matches("\\d/.*")) {
                    names.add(blob.getName());
                }
            }
        } catch (RuntimeException e) {
            throw failure("list for delete-all", e);
        }
        deleteObjects(names);
    }

    /** One DELETE per object, several at a time; an object already gone is no error. */
    private void deleteObjects(List<String> names) throws IOException {
        Parallel.map(names, PARALLEL_REQUESTS, name -> {
            try {
                return storage.delete(blobId(name)); // false when it was already gone
            } catch (RuntimeException e) {
                throw failure("delete " + name, e);
            }
        });
    }

    private static StorageException storageException(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StorageException se) {
                return se;
            }
        }
        return null;
    }

    /** An error naming the replica, the operation and what the service said. */
    IOException failure(String operation, Exception e) {
        StorageException se = storageException(e);
        String detail;
        if (Causes.has(e, java.net.ConnectException.class) || Causes.has(e, java.net.UnknownHostException.class)) {
            detail = "cannot connect to " + endpoint() + ": " + Causes.messages(e);
        } else if (Causes.has(e, java.net.SocketTimeoutException.class) || Causes.has(e, java.net.http.HttpTimeoutException.class)) {
            detail = "no answer from " + endpoint() + " in time: " + Causes.messages(e);
        } else if (se != null && se.getCode() > 0) {
            detail = "%s (HTTP %d)%s".formatted(se.getReason() != null ? se.getReason() : "error", se.getCode(), switch (se.getCode()) {
                case 401, 403 -> ": access denied, check the credentials (GOOGLE_APPLICATION_CREDENTIALS or the machine's service account) "
                        + "and their role on bucket " + settings.bucket() + " (objects: create, get, list, delete)";
                case 404 -> operation.startsWith("get ") || operation.startsWith("read ") ? "" : ": bucket " + settings.bucket() + " does not exist";
                default -> "";
            }) + (se.getMessage() != null && !se.getMessage().isBlank() ? ": " + Causes.firstLine(se.getMessage()) : "");
        } else {
            detail = Causes.messages(e);
        }
        return new IOException("gs replica %s: %s: %s".formatted(location(), operation, detail), e);
    }

    private String endpoint() {
        return settings.emulator() != null ? settings.emulator().toString() : "https://storage.googleapis.com";
    }

    @Override
    public void close() throws IOException {
        try {
            storage.close();
        } catch (Exception e) {
            throw new IOException("gs replica %s: close: %s".formatted(location(), e.getMessage()), e);
        }
    }
}
