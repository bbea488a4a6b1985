package io.litestream4j.replica.gcs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * {@code gs://bucket/path}: a replica in Google Cloud Storage. From a config section: {@code url},
 * or {@code bucket} and {@code path}, as Litestream 0.5 reads them. There are no credential keys:
 * Google's default chain supplies them ({@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud's
 * application-default login, the metadata server). {@code STORAGE_EMULATOR_HOST} sends every
 * request to an emulator, without credentials.
 */
public final class GcsReplicaClientFactory implements ReplicaClientFactory {
    static final String EMULATOR_ENV = "STORAGE_EMULATOR_HOST";
    static final String CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS";

    private final UnaryOperator<String> env;

    public GcsReplicaClientFactory() {
        this(System::getenv);
    }

    /** With {@code env} in place of the process environment (for tests). */
    GcsReplicaClientFactory(UnaryOperator<String> env) {
        this.env = env;
    }

    /** {@code gs} as Litestream 0.5 spells it, and {@code gcs} as 0.3 did (its {@code type: gcs} and {@code gcs://} URLs). */
    @Override
    public Set<String> schemes() {
        return Set.of("gs", "gcs");
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("bucket", "path");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(ReplicaSpec.of(url, this));
    }

    @Override
    public ReplicaClient create(ReplicaSpec spec) throws IOException {
        return GcsReplicaClient.open(settings(spec));
    }

    /** Reads the settings as Litestream does: the URL's bucket and path, or the config keys, then the environment. */
    GcsSettings settings(ReplicaSpec spec) throws IOException {
        String bucket;
        String path;
        if (spec.url() != null) {
            if (spec.keys().containsKey("bucket") || spec.keys().containsKey("path")) {
                throw spec.error("set url, or bucket and path, not both");
            }
            bucket = spec.url().getHost();
            if (bucket == null || bucket.isBlank()) {
                throw spec.error("want gs://BUCKET/PATH (a bucket name of lower-case letters, digits, dots, hyphens and underscores)");
            }
            path = spec.path();
        } else {
            bucket = spec.require("bucket", "the Cloud Storage bucket");
            path = spec.path();
        }
        URI emulator;
        try {
            emulator = GcsSettings.emulatorUrl(env.apply(EMULATOR_ENV));
        } catch (IllegalArgumentException e) {
            throw spec.error(e.getMessage());
        }
        String credentials = env.apply(CREDENTIALS_ENV);
        Path credentialsFile = emulator == null && credentials != null && !credentials.isBlank() ? Path.of(credentials.trim()) : null;
        return new GcsSettings(bucket, path, emulator, credentialsFile);
    }
}
