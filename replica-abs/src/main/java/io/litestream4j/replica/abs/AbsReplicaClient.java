package io.litestream4j.replica.abs;

import com.azure.core.credential.AzureSasCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.AccessTier;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A replica in an Azure Blob Storage container, laid out exactly as Litestream 0.5 writes it:
 * block blobs {@code <path>/ltx/<level>/<min>-<max>.ltx}, content type
 * {@code application/octet-stream}, Hot tier, each carrying the time its data was written as the
 * {@code litestreamtimestamp} metadata (RFC 3339; Azure forbids hyphens in metadata names). The
 * flat listing returns that metadata, so {@link #listFiles} already gives the writer's times at
 * no extra request.
 *
 * <p>Writes are atomic: a file up to one block is one Put Blob whose body is read completely
 * before the request; a larger file is staged block by block (one block in memory at a time) and
 * becomes visible only when the block list is committed after the last block, so an input that
 * fails half-way leaves no blob (the uncommitted blocks expire on their own). Every body is sent
 * with its length and a Content-MD5 the service checks, so a body changed on the way is refused.
 *
 * <p>Requests go through the JDK's own HTTP client (no Netty). Transient failures (timeouts,
 * 408/429/5xx, resets) are retried by the SDK with exponential backoff, briefly: the replicator
 * retries the whole operation on its own schedule. Every error names the replica and never a
 * secret.
 */
public final class AbsReplicaClient implements ReplicaClient, RangedReads, ExactTimestamps, LegacyLayout {
    static final String TIMESTAMP_METADATA = "litestreamtimestamp";
    /** The largest body sent in one request, and so the memory a write holds. */
    static final int BLOCK_SIZE = 4 << 20;
    private static final int PARALLEL_REQUESTS = 16;

    /**
     * The SDK logs every exception it throws at ERROR (once per retry) and warns about a header it
     * cannot set (Content-Length: the JDK's client sends it itself from the body's known length);
     * the errors this client throws tell the same story once, naming the replica. So the SDK is
     * silent under java.util.logging unless Azure's own {@code AZURE_LOG_LEVEL} asks for it. Held
     * here because java.util.logging keeps loggers only weakly.
     */
    private static final java.util.logging.Logger SDK_LOGGER = java.util.logging.Logger.getLogger("com.azure");

    static {
        if (System.getenv("AZURE_LOG_LEVEL") == null && SDK_LOGGER.getLevel() == null) {
            SDK_LOGGER.setLevel(java.util.logging.Level.OFF);
        }
    }

    private final AbsSettings settings;
    private final BlobContainerClient container;

    public AbsReplicaClient(AbsSettings settings) {
        this.settings = settings;
        this.container = buildClient(settings).getBlobContainerClient(settings.container());
    }

    private static com.azure.storage.blob.BlobServiceClient buildClient(AbsSettings settings) {
        // HTTP/1.1: the blob service speaks nothing else, and an h2c upgrade offer only costs.
        HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1))
                .connectionTimeout(Duration.ofSeconds(10)).build();
        var builder = new BlobServiceClientBuilder().endpoint(settings.endpoint().toString()).httpClient(http)
                // A few quick tries per request; the replicator's own loop retries after that.
                .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 4, Duration.ofMinutes(2), Duration.ofMillis(500),
                        Duration.ofSeconds(8), null));
        switch (settings.auth()) {
            case SAS_TOKEN -> builder.credential(new AzureSasCredential(settings.sasToken()));
            case SHARED_KEY -> builder.credential(new StorageSharedKeyCredential(settings.accountName(), settings.accountKey()));
            case DEFAULT_CHAIN -> builder.credential(new DefaultAzureCredentialBuilder().build());
        }
        return builder.buildClient();
    }

    @Override
    public String type() {
        return "abs";
    }

    @Override
    public String location() {
        return settings.describe();
    }

    private String levelPrefix(int level) {
        return (settings.path().isEmpty() ? "" : settings.path() + "/") + "ltx/" + level + "/";
    }

    /** The blob name of a file: {@code <path>/ltx/<level>/<min>-<max>.ltx}. */
    String blobName(int level, TxidRange range) {
        return levelPrefix(level) + range.fileName();
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        String prefix = levelPrefix(level);
        List<LtxFileInfo> out = new ArrayList<>();
        try {
            var options = new ListBlobsOptions().setPrefix(prefix).setDetails(new BlobListDetails().setRetrieveMetadata(true));
            for (BlobItem item : container.listBlobs(options, null)) {
                String name = item.getName().substring(prefix.length());
                Optional<TxidRange> range = name.contains("/") ? Optional.empty() : TxidRange.fromFileName(name);
                if (range.isPresent() && Long.compareUnsigned(range.get().max(), fromTxid) >= 0) {
                    out.add(new LtxFileInfo(level, range.get(), item.getProperties().getContentLength(), recordedTime(item)));
                }
            }
        } catch (RuntimeException e) {
            throw failure("list level " + level, e);
        }
        out.sort(LtxFileInfo.BY_TXIDS);
        return out;
    }

    /** The listing carries the writer's times already. */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return listFiles(level, fromTxid);
    }

    /** The {@code litestreamtimestamp} metadata, else (as Litestream) the blob's creation time. */
    private static Instant recordedTime(BlobItem item) {
        Map<String, String> metadata = item.getMetadata();
        String recorded = metadata == null ? null : metadata.get(TIMESTAMP_METADATA);
        if (recorded != null) {
            try {
                return OffsetDateTime.parse(recorded, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                // Litestream ignores an unreadable value too; the LTX header holds the authority.
            }
        }
        OffsetDateTime created = item.getProperties().getCreationTime();
        return (created != null ? created : item.getProperties().getLastModified()).toInstant();
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
        String name = blobName(level, range);
        try {
            var options = new BlobInputStreamOptions().setBlockSize(BLOCK_SIZE).setRange(new BlobRange(offset, length > 0 ? length : null));
            return new ScrubbingInput(container.getBlobClient(name).openInputStream(options, Context.NONE), name);
        } catch (BlobStorageException e) {
            if (e.getErrorCode() == BlobErrorCode.BLOB_NOT_FOUND) {
                throw new NoSuchFileException(name, null, "ltx file not found in replica " + location());
            }
            if (e.getStatusCode() == 416) {
                return InputStream.nullInputStream(); // the range starts at or past the end
            }
            throw failure("get " + name, e);
        } catch (RuntimeException e) {
            throw failure("get " + name, e);
        }
    }

    private String root() {
        return settings.path().isEmpty() ? "" : settings.path() + "/";
    }

    /** One LIST of at most one blob: is there anything under {@code <path>/generations/}? */
    @Override
    public boolean holdsLitestream03() throws IOException {
        String prefix = root() + FOLDER;
        try {
            return container.listBlobs(new ListBlobsOptions().setPrefix(prefix).setMaxResultsPerPage(1), null).iterator().hasNext();
        } catch (RuntimeException e) {
            throw failure("list " + prefix, e);
        }
    }

    /** Litestream 0.3 kept no time of its own on Azure: a file's time is the blob's last modification, as 0.3 read it. */
    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        String root = root();
        List<LegacyFile> out = new ArrayList<>();
        try {
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(root + FOLDER), null)) {
                var p = item.getProperties();
                out.add(new LegacyFile(item.getName().substring(root.length()), p.getContentLength(), p.getLastModified().toInstant()));
            }
        } catch (RuntimeException e) {
            throw failure("list " + root + FOLDER, e);
        }
        return out;
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        String name = root() + LegacyLayout.checkedPath(location(), path);
        try {
            return new ScrubbingInput(container.getBlobClient(name).openInputStream(new BlobInputStreamOptions().setBlockSize(BLOCK_SIZE), Context.NONE), name);
        } catch (BlobStorageException e) {
            if (e.getErrorCode() == BlobErrorCode.BLOB_NOT_FOUND) {
                throw new NoSuchFileException(name, null, "Litestream 0.3 file not found in replica " + location());
            }
            throw failure("get " + name, e);
        } catch (RuntimeException e) {
            throw failure("get " + name, e);
        }
    }

    /** Turns the SDK's unchecked failures while reading a body into IOExceptions naming the blob. */
    private final class ScrubbingInput extends java.io.FilterInputStream {
        private final String name;

        ScrubbingInput(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (RuntimeException e) {
                throw failure("read " + name, e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (RuntimeException e) {
                throw failure("read " + name, e);
            }
        }
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String name = blobName(level, range);
        Map<String, String> metadata = Map.of(TIMESTAMP_METADATA, DateTimeFormatter.ISO_INSTANT.format(createdAt));
        BlobHttpHeaders headers = new BlobHttpHeaders().setContentType("application/octet-stream");
        SizedInput body = new SizedInput(data, size, "abs replica %s: put %s".formatted(location(), name));
        BlockBlobClient blob = container.getBlobClient(name).getBlockBlobClient();
        byte[] first = body.readNBytes((int) Math.min(size, BLOCK_SIZE));
        try {
            if (size <= BLOCK_SIZE) {
                body.requireEnd(); // the whole body is read before the request: a failing input sends nothing
                blob.uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(first)).setContentMd5(md5(first)).setHeaders(headers)
                        .setMetadata(metadata).setTier(AccessTier.HOT), null, Context.NONE);
            } else {
                // Block IDs must all have one length within a blob; a fresh prefix keeps this
                // attempt's blocks apart from those of an earlier attempt that failed.
                String attempt = UUID.randomUUID().toString();
                List<String> ids = new ArrayList<>();
                byte[] block = first;
                while (block.length > 0) {
                    String id = Base64.getEncoder().encodeToString("%s-%08d".formatted(attempt, ids.size()).getBytes(StandardCharsets.US_ASCII));
                    blob.stageBlockWithResponse(new BlockBlobStageBlockOptions(id, BinaryData.fromBytes(block)).setContentMd5(md5(block)), null,
                            Context.NONE);
                    ids.add(id);
                    block = body.readNBytes(BLOCK_SIZE);
                }
                body.requireEnd(); // commits only a body of exactly its size
                blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids).setHeaders(headers).setMetadata(metadata)
                        .setTier(AccessTier.HOT), null, Context.NONE);
            }
        } catch (RuntimeException e) {
            throw failure("put " + name, e);
        }
        return new LtxFileInfo(level, range, size, createdAt);
    }

    private static byte[] md5(byte[] data) {
        try {
            return MessageDigest.getInstance("MD5").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        deleteBlob(blobName(level, range));
    }

    @Override
    public void deleteAll() throws IOException {
        String prefix = (settings.path().isEmpty() ? "" : settings.path() + "/") + "ltx/";
        List<String> names = new ArrayList<>();
        try {
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(prefix), null)) {
                // Only the level folders: nothing else a user keeps under the same path.
                if (item.getName().substring(prefix.length()).matches("\\d/.*")) {
                    names.add(item.getName());
                }
            }
        } catch (RuntimeException e) {
            throw failure("list for delete-all", e);
        }
        deleteBlobs(names);
    }

    /** One DELETE per blob (the service has no multi-delete outside batch requests), several at a time; a blob already gone is no error. */
    private void deleteBlobs(List<String> names) throws IOException {
        Parallel.map(names, PARALLEL_REQUESTS, name -> {
            deleteBlob(name);
            return name;
        });
    }

    private void deleteBlob(String name) throws IOException {
        try {
            container.getBlobClient(name).deleteIfExistsWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null, Context.NONE);
        } catch (RuntimeException e) {
            throw failure("delete " + name, e);
        }
    }

    /** An error naming the replica, the operation and what the service said: never a credential. */
    IOException failure(String operation, RuntimeException e) {
        String detail;
        if (e instanceof BlobStorageException bse) {
            BlobErrorCode code = bse.getErrorCode();
            detail = "%s (HTTP %d)%s".formatted(code != null ? code : "error", bse.getStatusCode(), switch (bse.getStatusCode()) {
                case 403 -> ": access denied, check " + switch (settings.auth()) {
                    case SAS_TOKEN -> "the sas-token (its permissions and expiry)";
                    case SHARED_KEY -> "account-name and account-key";
                    case DEFAULT_CHAIN -> "the Azure identity's role on the container";
                };
                case 404 -> code == BlobErrorCode.CONTAINER_NOT_FOUND ? ": container " + settings.container() + " does not exist" : "";
                default -> "";
            });
        } else if (Causes.has(e, java.net.ConnectException.class) || Causes.has(e, java.nio.channels.ClosedChannelException.class)) {
            detail = "cannot connect to " + settings.endpoint() + ": " + Causes.messages(e);
        } else if (Causes.has(e, java.util.concurrent.TimeoutException.class) || Causes.has(e, java.net.http.HttpTimeoutException.class)) {
            detail = "no answer from " + settings.endpoint() + " in time: " + Causes.messages(e);
        } else {
            detail = Causes.messages(e);
        }
        return new IOException(settings.scrub("abs replica %s: %s: %s".formatted(location(), operation, detail)), new ScrubbedCause(settings.scrub(Causes.messages(e))));
    }

    /** The original exception's story without its objects, which may hold a request URL with a SAS signature. */
    private static final class ScrubbedCause extends Exception {
        private static final long serialVersionUID = 1L;

        ScrubbedCause(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public void close() {
        // The SDK's clients hold no resources to release; the JDK HTTP client's threads end with it.
    }
}
