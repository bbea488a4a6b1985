package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ExactTimestamps;
import io.litestream4j.core.replica.LeaseStore;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ListsFrom;
import io.litestream4j.core.replica.BatchDelete;
import io.litestream4j.core.replica.RangedReads;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.SizedInput;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * A replica in an S3 bucket, with object keys exactly as Litestream 0.5 writes them:
 * {@code <path>/<level as %04x>/<min>-<max>.ltx}, each carrying its creation time as the
 * {@code litestream-timestamp} metadata, so either tool restores the other's replica.
 *
 * <p>Files below the part size are one PUT; larger ones a multipart upload with up to
 * {@code concurrency} parts in flight (memory: part size times concurrency). Deletes go in
 * batches of at most 1000. Reads are ranged GETs. Every error names the bucket and endpoint and
 * never a credential.
 *
 * <p>Every upload is verified: each body (a single PUT or a part) is sent plain with its length
 * and {@code Content-MD5}, so the store refuses one that changed on the way, and an ETag that is
 * an MD5 must be the body's. Either failure is an {@link UploadVerificationException} and the
 * file does not count as written.
 */
public final class S3ReplicaClient implements ReplicaClient, RangedReads, BatchDelete, LegacyLayout, ExactTimestamps, ListsFrom {
    static final String TIMESTAMP_METADATA = "litestream-timestamp";
    private static final int DELETE_BATCH = 1000;

    private final S3Settings settings;
    private final String scheme;
    private final S3Client s3;
    private final MultipartUpload multipart;
    private final S3LeaseStore lease;

    public S3ReplicaClient(S3Settings settings) {
        this(settings, "s3");
    }

    /** A client for {@code scheme} ({@code s3}, or {@code oss} for Alibaba OSS through its S3 API). */
    public S3ReplicaClient(S3Settings settings, String scheme) {
        this.settings = settings;
        this.scheme = scheme;
        this.s3 = buildClient(settings, scheme);
        this.multipart = new MultipartUpload(s3, settings);
        this.lease = new S3LeaseStore(this, s3, settings);
    }

    private static S3Client buildClient(S3Settings settings, String scheme) {
        var http = ApacheHttpClient.builder();
        var builder = S3Client.builder()
                .region(Region.of(settings.effectiveRegion()))
                .credentialsProvider(credentials(settings, scheme))
                .forcePathStyle(settings.forcePathStyle())
                // Bodies every S3-compatible store keeps byte for byte: the SDK's defaults send
                // uploads as aws-chunked (signed chunks over HTTP, checksum trailers over HTTPS),
                // which s3rver and OSS store verbatim, framing and all. So: no flexible checksums
                // unless an operation requires one, no chunked signing (a plain body with
                // Content-Length and its SHA-256 over HTTP, UNSIGNED-PAYLOAD over HTTPS), and
                // Content-MD5 (set per upload here; by the legacy plugin for DeleteObjects,
                // which some stores refuse without it) for the store to verify.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .addPlugin(LegacyMd5Plugin.create());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        if (settings.skipVerify()) {
            builder.httpClient(http.buildWithDefaults(AttributeMap.builder().put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build()));
        } else {
            builder.httpClientBuilder(http);
        }
        return builder.build();
    }

    /** The configured keys, else {@code LITESTREAM_ACCESS_KEY_ID}/{@code LITESTREAM_SECRET_ACCESS_KEY}, (for OSS {@code OSS_ACCESS_KEY_ID}/{@code OSS_ACCESS_KEY_SECRET}), else the AWS default chain. */
    private static AwsCredentialsProvider credentials(S3Settings settings, String scheme) {
        String id = settings.accessKeyId() != null ? settings.accessKeyId() : System.getenv("LITESTREAM_ACCESS_KEY_ID");
        String secret = settings.secretAccessKey() != null ? settings.secretAccessKey() : System.getenv("LITESTREAM_SECRET_ACCESS_KEY");
        if ((id == null || id.isEmpty()) && "oss".equals(scheme)) {
            id = System.getenv("OSS_ACCESS_KEY_ID");
            secret = System.getenv("OSS_ACCESS_KEY_SECRET");
        }
        if (id != null && !id.isEmpty() && secret != null) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    @Override
    public String type() {
        return scheme;
    }

    @Override
    public String location() {
        return settings.describe(scheme);
    }

    /** The lease store is a helper object ({@link S3LeaseStore}), handed out as a capability. */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type == LeaseStore.class ? Optional.of(type.cast(lease)) : ReplicaClient.super.capability(type);
    }

    private String levelPrefix(int level) {
        String l = "%04x/".formatted(level);
        return settings.path().isEmpty() ? l : settings.path() + "/" + l;
    }

    String key(int level, TxidRange range) {
        return levelPrefix(level) + range.fileName();
    }

    /** One LIST of at most one key: is there anything under {@code <path>/generations/}? */
    @Override
    public boolean holdsLitestream03() throws IOException {
        String prefix = (settings.path().isEmpty() ? "" : settings.path() + "/") + "generations/";
        try {
            return !s3.listObjectsV2(ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix).maxKeys(1).build()).contents().isEmpty();
        } catch (SdkException e) {
            throw failure("list " + prefix, e);
        }
    }

    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        String root = settings.path().isEmpty() ? "" : settings.path() + "/";
        List<LegacyFile> out = new ArrayList<>();
        try {
            var pages = s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(root + "generations/").build());
            for (S3Object o : pages.contents()) {
                out.add(new LegacyFile(o.key().substring(root.length()), o.size(), o.lastModified()));
            }
        } catch (SdkException e) {
            throw failure("list " + root + "generations/", e);
        }
        return out;
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        String key = (settings.path().isEmpty() ? "" : settings.path() + "/") + path;
        var get = GetObjectRequest.builder().bucket(settings.bucket()).key(key);
        if (settings.sseCustomerAlgorithm() != null) {
            get.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
        }
        try {
            return s3.getObject(get.build());
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(key, null, "Litestream 0.3 file not found in replica " + location());
        } catch (SdkException e) {
            throw failure("get " + key, e);
        }
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        return list(level, null, fromTxid);
    }

    /**
     * One listing from the first name whose min TXID is {@code minTxid} on ({@code start-after} the
     * names of {@code minTxid - 1}: {@code '.'} sorts after the {@code '-'} that follows a min TXID).
     */
    @Override
    public List<LtxFileInfo> listFilesFrom(int level, long minTxid) throws IOException {
        String startAfter = Long.compareUnsigned(minTxid, 1) <= 0 ? null : levelPrefix(level) + Txid.format(minTxid - 1) + ".";
        return list(level, startAfter, minTxid);
    }

    private List<LtxFileInfo> list(int level, String startAfter, long fromTxid) throws IOException {
        String prefix = levelPrefix(level);
        List<LtxFileInfo> out = new ArrayList<>();
        try {
            var request = ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix);
            if (startAfter != null) {
                request.startAfter(startAfter);
            }
            var pages = s3.listObjectsV2Paginator(request.build());
            for (S3Object o : pages.contents()) {
                String name = o.key().substring(prefix.length());
                Optional<TxidRange> range = name.contains("/") ? Optional.empty() : TxidRange.fromFileName(name);
                if (range.isPresent() && Long.compareUnsigned(range.get().max(), fromTxid) >= 0) {
                    out.add(new LtxFileInfo(level, range.get(), o.size(), o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw failure("list level " + level, e);
        }
        out.sort(LtxFileInfo.BY_TXIDS);
        return out;
    }

    /**
     * The listing gives upload times; the time each file's data was written is in its
     * {@code litestream-timestamp} metadata, read with one HEAD per file (in parallel).
     */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return Parallel.map(listFiles(level, fromTxid), 16, this::withRecordedTime);
    }

    private LtxFileInfo withRecordedTime(LtxFileInfo f) throws IOException {
        try {
            var head = HeadObjectRequest.builder().bucket(settings.bucket()).key(key(f.level(), f.range()));
            if (settings.sseCustomerAlgorithm() != null) {
                head.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
            }
            String recorded = s3.headObject(head.build()).metadata().get(TIMESTAMP_METADATA);
            return recorded == null ? f : new LtxFileInfo(f.level(), f.range(), f.size(), Instant.parse(recorded));
        } catch (NoSuchKeyException e) {
            return f; // deleted since the listing; the restore plan copes with a missing file
        } catch (SdkException | java.time.format.DateTimeParseException e) {
            throw failure("read the timestamp of " + key(f.level(), f.range()), e);
        }
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
        String key = key(level, range);
        var get = GetObjectRequest.builder().bucket(settings.bucket()).key(key);
        if (offset > 0 || length > 0) {
            get.range("bytes=" + offset + "-" + (length > 0 ? Long.toString(offset + length - 1) : ""));
        }
        if (settings.sseCustomerAlgorithm() != null) {
            get.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
        }
        try {
            return s3.getObject(get.build());
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(key, null, "ltx file not found in replica " + location());
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return InputStream.nullInputStream(); // the range starts at or past the end
            }
            throw failure("get " + key, e);
        } catch (SdkException e) {
            throw failure("get " + key, e);
        }
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String key = key(level, range);
        Map<String, String> metadata = Map.of(TIMESTAMP_METADATA, DateTimeFormatter.ISO_INSTANT.format(createdAt));
        SizedInput body = new SizedInput(data, size, "s3 replica %s: put %s".formatted(location(), key));
        // One part's worth is held in memory at a time: the digest must precede the body.
        byte[] first = body.readNBytes((int) Math.min(Math.min(size, settings.partSize()), Integer.MAX_VALUE - 8));
        try {
            if (size < settings.partSize()) {
                body.requireEnd();
                BodyDigest digest = BodyDigest.of(first);
                PutObjectResponse put = s3.putObject(putRequest(key, metadata, digest), RequestBody.fromBytes(first));
                try {
                    digest.checkEtag("put " + key, put.eTag(), put.serverSideEncryptionAsString(), settings.sseCustomerAlgorithm() != null);
                } catch (UploadVerificationException e) {
                    deleteKeys(List.of(key)); // the store kept other bytes under the file's name: no one may read them
                    throw e;
                }
            } else {
                multipart.upload(key, metadata, first, body);
            }
        } catch (UploadVerificationException e) {
            throw new UploadVerificationException("s3 replica %s: %s".formatted(location(), e.getMessage()), e);
        } catch (SdkException e) {
            throw failure("put " + key, e);
        }
        return new LtxFileInfo(level, range, size, createdAt);
    }

    private PutObjectRequest putRequest(String key, Map<String, String> metadata, BodyDigest digest) {
        var put = PutObjectRequest.builder().bucket(settings.bucket()).key(key).metadata(metadata).contentMD5(digest.base64());
        if (settings.storageClass() != null) {
            put.storageClass(settings.storageClass());
        }
        if (settings.sseCustomerAlgorithm() != null) {
            put.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
        }
        if (settings.sseKmsKeyId() != null) {
            put.serverSideEncryption("aws:kms").ssekmsKeyId(settings.sseKmsKeyId());
        }
        return put.build();
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        delete(level, List.of(range));
    }

    /** DeleteObjects, up to its 1,000 keys a request. */
    @Override
    public void delete(int level, List<TxidRange> ranges) throws IOException {
        deleteKeys(ranges.stream().map(r -> key(level, r)).toList());
    }

    @Override
    public void deleteAll() throws IOException {
        String prefix = settings.path().isEmpty() ? "" : settings.path() + "/";
        List<String> keys = new ArrayList<>();
        try {
            var pages = s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix).build());
            for (S3Object o : pages.contents()) {
                String rest = o.key().substring(prefix.length());
                // Only the level folders: nothing else a user keeps under the same prefix.
                if (rest.matches("[0-9a-f]{4}/.*")) {
                    keys.add(o.key());
                }
            }
        } catch (SdkException e) {
            throw failure("list for delete-all", e);
        }
        deleteKeys(keys);
    }

    private void deleteKeys(List<String> keys) throws IOException {
        for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
            try {
                DeleteObjectsResponse r = s3.deleteObjects(b -> b.bucket(settings.bucket()).delete(Delete.builder().objects(batch).quiet(true).build()));
                var errors = r.errors().stream().filter(e -> !"NoSuchKey".equals(e.code())).toList();
                if (!errors.isEmpty()) {
                    throw new IOException("s3 replica %s: delete %s: %s %s".formatted(location(), errors.getFirst().key(), errors.getFirst().code(),
                            errors.getFirst().message()));
                }
            } catch (SdkException e) {
                throw failure("delete " + batch.size() + " objects", e);
            }
        }
    }

    /** Error codes of a store that refused a body because it did not match its digest: the body changed on the way. */
    private static final java.util.Set<String> DIGEST_ERRORS = java.util.Set.of("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch",
            "InvalidContentMD5");

    /** The store refused a body for its digest: by code, or (S3Mock's 400 BadRequest) by what it says. */
    private static boolean refusedDigest(S3Exception e) {
        if (e.awsErrorDetails() == null) {
            return false;
        }
        String message = e.awsErrorDetails().errorMessage();
        return DIGEST_ERRORS.contains(e.awsErrorDetails().errorCode())
                || (e.statusCode() == 400 && message != null && DIGEST_WORDS.matcher(message).find());
    }

    private static final java.util.regex.Pattern DIGEST_WORDS = java.util.regex.Pattern.compile("(?i)md5|digest|checksum|sha-?256");

    /**
     * An error naming the replica, the operation and what S3 said: never a credential. A body the
     * store refused for its digest is an {@link UploadVerificationException}.
     */
    IOException failure(String operation, Exception e) {
        if (e instanceof S3Exception s3e && refusedDigest(s3e)) {
            return new UploadVerificationException("s3 replica %s: %s: the store refused the body: %s (HTTP %d: %s): it changed on the way"
                    .formatted(location(), operation, s3e.awsErrorDetails().errorCode(), s3e.statusCode(), s3e.awsErrorDetails().errorMessage()), e);
        }
        String detail;
        if (e instanceof S3Exception s3e && s3e.awsErrorDetails() != null) {
            String code = s3e.awsErrorDetails().errorCode();
            detail = "%s (HTTP %d)%s".formatted(code != null ? code : "error", s3e.statusCode(), switch (s3e.statusCode()) {
                case 403 -> ": access denied, check the credentials and the bucket policy";
                case 404 -> "NoSuchBucket".equals(code) ? ": the bucket does not exist" : "";
                case 301 -> ": wrong region for this bucket";
                default -> s3e.awsErrorDetails().errorMessage() != null ? ": " + s3e.awsErrorDetails().errorMessage() : "";
            });
        } else {
            detail = e.getMessage();
        }
        return new IOException("s3 replica %s: %s: %s".formatted(location(), operation, detail), e);
    }

    @Override
    public void close() {
        s3.close();
        multipart.close();
    }
}
