package io.litestream4j.replica.gcs;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where a Google Cloud Storage replica is and how requests reach it, as Litestream 0.5 reads
 * them: the bucket and the folder inside it; credentials come from Google's default chain
 * ({@code GOOGLE_APPLICATION_CREDENTIALS}, then gcloud's application-default login, then the
 * metadata server of Google Cloud's own machines, which is how workload identity arrives).
 * {@code STORAGE_EMULATOR_HOST} points the client at an emulator without credentials, as Google's
 * Go client (and so Litestream) does. Holds no secret: the credentials file is only a path.
 *
 * @param bucket the bucket
 * @param path the folder inside the bucket, without leading or trailing slashes; "" for its root
 * @param emulator the emulator's base URL ({@code http://host:port}), or null for Google Cloud Storage
 * @param credentialsFile the service account key or credentials file named by
 *     {@code GOOGLE_APPLICATION_CREDENTIALS}, or null to let the default chain look further
 */
public record GcsSettings(String bucket, String path, URI emulator, Path credentialsFile) {
    public GcsSettings {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket: want a name, got none");
        }
        path = path == null ? "" : path.replaceAll("^/+", "").replaceAll("/+$", "");
    }

    /** Settings for a bucket on Google Cloud Storage, credentials from the default chain. */
    public static GcsSettings cloud(String bucket, String path) {
        return new GcsSettings(bucket, path, null, null);
    }

    /** Settings for a bucket on an emulator at {@code emulator} ({@code http://host:port}). */
    public static GcsSettings emulated(String bucket, String path, URI emulator) {
        return new GcsSettings(bucket, path, emulator, null);
    }

    /**
     * {@code STORAGE_EMULATOR_HOST} as Google's clients read it: {@code host:port}, or a URL
     * {@code http://host:port}; null when it is unset or blank.
     */
    static URI emulatorUrl(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim().replaceAll("/+$", "");
        URI url = URI.create(v.contains("://") ? v : "http://" + v);
        if (url.getHost() == null) {
            throw new IllegalArgumentException("STORAGE_EMULATOR_HOST=%s: want host:port or http://host:port".formatted(value));
        }
        return url;
    }

    /** Where the replica is, for messages: {@code gs://bucket/path}, and the emulator if one is used. */
    public String describe() {
        String where = "gs://" + bucket + (path.isEmpty() ? "" : "/" + path);
        return emulator == null ? where : where + " (emulator " + emulator + ")";
    }

    @Override
    public String toString() {
        return "GcsSettings[" + describe() + (credentialsFile != null ? ", credentials " + credentialsFile : "") + "]";
    }
}
