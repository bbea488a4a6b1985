package io.litestream4j.replica.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Uploads a stream as an S3 multipart upload: parts of {@code partSize} bytes, up to
 * {@code concurrency} in flight (so memory is part size times concurrency, whatever the file
 * size), completed in order, and aborted on any failure so no orphaned parts are billed. Each
 * part carries its {@code Content-MD5} and its ETag is checked like a single PUT's.
 */
final class MultipartUpload implements AutoCloseable {
    private final S3Client s3;
    private final S3Settings settings;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    MultipartUpload(S3Client s3, S3Settings settings) {
        this.s3 = s3;
        this.settings = settings;
    }

    /** Uploads {@code first} (one whole part) and the rest of {@code data}; returns the byte count. */
    long upload(String key, Map<String, String> metadata, byte[] first, InputStream data) throws IOException {
        var create = CreateMultipartUploadRequest.builder().bucket(settings.bucket()).key(key).metadata(metadata);
        if (settings.storageClass() != null) {
            create.storageClass(settings.storageClass());
        }
        if (settings.sseCustomerAlgorithm() != null) {
            create.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
        }
        if (settings.sseKmsKeyId() != null) {
            create.serverSideEncryption("aws:kms").ssekmsKeyId(settings.sseKmsKeyId());
        }
        String uploadId = s3.createMultipartUpload(create.build()).uploadId();
        Semaphore inFlight = new Semaphore(settings.concurrency());
        List<Future<CompletedPart>> parts = new ArrayList<>();
        long size = 0;
        try {
            byte[] part = first;
            for (int number = 1; part.length > 0; number++) {
                size += part.length;
                inFlight.acquire();
                final byte[] body = part;
                final int n = number;
                parts.add(pool.submit(() -> {
                    try {
                        BodyDigest digest = BodyDigest.of(body);
                        var req = UploadPartRequest.builder().bucket(settings.bucket()).key(key).uploadId(uploadId).partNumber(n)
                                .contentMD5(digest.base64());
                        if (settings.sseCustomerAlgorithm() != null) {
                            req.sseCustomerAlgorithm(settings.sseCustomerAlgorithm()).sseCustomerKey(settings.sseCustomerKey());
                        }
                        UploadPartResponse uploaded = s3.uploadPart(req.build(), RequestBody.fromBytes(body));
                        digest.checkEtag("put %s part %d".formatted(key, n), uploaded.eTag(), uploaded.serverSideEncryptionAsString(),
                                settings.sseCustomerAlgorithm() != null);
                        return CompletedPart.builder().partNumber(n).eTag(uploaded.eTag()).build();
                    } finally {
                        inFlight.release();
                    }
                }));
                part = data.readNBytes((int) settings.partSize());
            }
            List<CompletedPart> completed = new ArrayList<>();
            for (Future<CompletedPart> f : parts) {
                completed.add(f.get());
            }
            s3.completeMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
            return size;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(key, uploadId, parts);
            throw new java.io.InterruptedIOException("interrupted while uploading " + key);
        } catch (ExecutionException e) {
            abort(key, uploadId, parts);
            if (e.getCause() instanceof SdkException sdk) {
                throw sdk;
            }
            if (e.getCause() instanceof UploadVerificationException v) {
                throw v;
            }
            throw new IOException("upload part of " + key + ": " + e.getCause(), e.getCause());
        } catch (IOException | RuntimeException e) {
            abort(key, uploadId, parts);
            throw e;
        }
    }

    private void abort(String key, String uploadId, List<Future<CompletedPart>> parts) {
        parts.forEach(f -> f.cancel(true));
        try {
            s3.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException ignored) {
            // best effort: a bucket lifecycle rule cleans up what remains
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
