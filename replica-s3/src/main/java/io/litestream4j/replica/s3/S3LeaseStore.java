package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.LeaseConflictException;
import io.litestream4j.core.replica.LeaseStore;
import io.litestream4j.core.replica.LeaseUnsupportedException;
import java.io.IOException;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The replica's lease object {@code <path>/lock.json}, kept as Litestream's S3 leaser keeps it:
 * created with {@code If-None-Match: *}, replaced with {@code If-Match: <etag>}, deleted with
 * {@code If-Match}; the version is the ETag. A 412 (Precondition Failed) or a 409 (a concurrent
 * conditional write, as AWS answers) is a {@link LeaseConflictException}. Stored without SSE-C,
 * as Litestream stores it, so any replicator can read it.
 */
final class S3LeaseStore implements LeaseStore {
    static final String FILE_NAME = "lock.json";

    private final S3ReplicaClient replica;
    private final S3Client s3;
    private final S3Settings settings;
    private final String key;

    S3LeaseStore(S3ReplicaClient replica, S3Client s3, S3Settings settings) {
        this.replica = replica;
        this.s3 = s3;
        this.settings = settings;
        this.key = settings.path().isEmpty() ? FILE_NAME : settings.path() + "/" + FILE_NAME;
    }

    @Override
    public String leaseLocation() {
        return replica.location().replaceAll("/+$", "") + "/" + FILE_NAME;
    }

    @Override
    public Optional<Stored> readLease() throws IOException {
        try {
            var got = s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key));
            return Optional.of(new Stored(got.asByteArray(), got.response().eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw replica.failure("get " + key, e);
        }
    }

    @Override
    public String writeLease(byte[] content, String expectedVersion) throws IOException {
        var put = PutObjectRequest.builder().bucket(settings.bucket()).key(key).contentType("application/json")
                .contentMD5(BodyDigest.of(content).base64());
        if (expectedVersion == null) {
            put.ifNoneMatch("*");
        } else {
            put.ifMatch(expectedVersion);
        }
        if (settings.sseKmsKeyId() != null) {
            put.serverSideEncryption("aws:kms").ssekmsKeyId(settings.sseKmsKeyId());
        }
        try {
            return s3.putObject(put.build(), RequestBody.fromBytes(content)).eTag();
        } catch (S3Exception e) {
            if (expectedVersion != null && e.statusCode() == 404) {
                throw new LeaseConflictException(leaseLocation() + ": gone (someone deleted the lease)", e);
            }
            if (conflict(e)) {
                throw new LeaseConflictException("%s: %s (HTTP %d): %s".formatted(leaseLocation(),
                        expectedVersion == null ? "exists" : "changed", e.statusCode(), expectedVersion == null ? "another replicator took the lease"
                                : "another replicator replaced the lease"), e);
            }
            throw unsupported(e, "put " + key);
        } catch (SdkException e) {
            throw replica.failure("put " + key, e);
        }
    }

    @Override
    public void deleteLease(String expectedVersion) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(settings.bucket()).key(key).ifMatch(expectedVersion));
        } catch (NoSuchKeyException e) {
            // gone already
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return;
            }
            if (conflict(e)) {
                throw new LeaseConflictException("%s: changed (HTTP %d): another replicator holds the lease now".formatted(leaseLocation(), e.statusCode()), e);
            }
            throw unsupported(e, "delete " + key);
        } catch (SdkException e) {
            throw replica.failure("delete " + key, e);
        }
    }

    private static boolean conflict(S3Exception e) {
        return e.statusCode() == 412 || e.statusCode() == 409;
    }

    /** A store that cannot write conditionally says so with a 501 (S3Proxy does). */
    private IOException unsupported(S3Exception e, String operation) {
        IOException failure = replica.failure(operation, e);
        if (e.statusCode() == 501) {
            return new LeaseUnsupportedException(failure.getMessage() + ": the store cannot write conditionally (If-None-Match / If-Match)", e);
        }
        return failure;
    }
}
