package io.litestream4j.replica.s3;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where and how to reach an S3 (or S3-compatible) replica: Litestream's URL query options and
 * replica config keys.
 *
 * @param bucket the bucket
 * @param path the key prefix, without leading or trailing slash ("" for the bucket's root)
 * @param region the region; with an endpoint and none given, {@code us-east-1}
 * @param endpoint a custom endpoint (MinIO, R2, B2, Tigris, OSS...), or null for AWS
 * @param forcePathStyle {@code http://endpoint/bucket/key} instead of {@code http://bucket.endpoint/key}
 * @param skipVerify accept any TLS certificate (self-signed test servers)
 * @param storageClass the storage class of uploaded objects, or null for the bucket's default
 * @param partSize the multipart part size in bytes; smaller files are one PUT
 * @param concurrency parts uploaded at once
 * @param accessKeyId the access key, or null for {@code LITESTREAM_ACCESS_KEY_ID}, then the AWS default chain
 * @param secretAccessKey its secret
 */
public record S3Settings(
        String bucket,
        String path,
        String region,
        URI endpoint,
        boolean forcePathStyle,
        boolean skipVerify,
        String storageClass,
        long partSize,
        int concurrency,
        String sseCustomerAlgorithm,
        String sseCustomerKey,
        String sseKmsKeyId,
        String accessKeyId,
        String secretAccessKey) {

    /**
     * Every setting but the secrets: the secret key and the SSE-C key print as {@code <redacted>},
     * so a settings record in a log line, an exception or a debugger never shows them.
     */
    @Override
    public String toString() {
        return ("S3Settings[bucket=%s, path=%s, region=%s, endpoint=%s, forcePathStyle=%s, skipVerify=%s, storageClass=%s, partSize=%d, "
                + "concurrency=%d, sseCustomerAlgorithm=%s, sseCustomerKey=%s, sseKmsKeyId=%s, accessKeyId=%s, secretAccessKey=%s]")
                .formatted(bucket, path, region, endpoint, forcePathStyle, skipVerify, storageClass, partSize, concurrency, sseCustomerAlgorithm,
                        redactedSecret(sseCustomerKey), sseKmsKeyId, accessKeyId, redactedSecret(secretAccessKey));
    }

    private static String redactedSecret(String secret) {
        return secret == null ? null : "<redacted>";
    }

    /** S3's smallest part (the last one may be smaller). Litestream's default part size too. */
    public static final long MIN_PART_SIZE = 5L << 20;
    public static final int DEFAULT_CONCURRENCY = 5;
    static final String DEFAULT_REGION = "us-east-1";

    public S3Settings {
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("s3 replica: want a bucket name");
        }
        path = path == null ? "" : trimSlashes(path);
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("s3 replica %s: part-size %d is below S3's minimum of %d bytes".formatted(bucket, partSize, MIN_PART_SIZE));
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("s3 replica %s: concurrency %d: want at least 1".formatted(bucket, concurrency));
        }
        if ((sseCustomerAlgorithm == null) != (sseCustomerKey == null)) {
            throw new IllegalArgumentException("s3 replica %s: sseCustomerAlgorithm and sseCustomerKey go together".formatted(bucket));
        }
    }

    /** A replica in {@code bucket} under {@code path} with every other setting at its default. */
    public static S3Settings of(String bucket, String path) {
        return new S3Settings(bucket, path, null, null, false, false, null, MIN_PART_SIZE, DEFAULT_CONCURRENCY, null, null, null, null, null);
    }

    public S3Settings withEndpoint(URI endpoint) {
        return new S3Settings(bucket, path, region, endpoint, true, skipVerify, storageClass, partSize, concurrency, sseCustomerAlgorithm,
                sseCustomerKey, sseKmsKeyId, accessKeyId, secretAccessKey);
    }

    /** These settings accepting any TLS certificate (a self-signed test server). */
    public S3Settings withSkipVerify(boolean skipVerify) {
        return new S3Settings(bucket, path, region, endpoint, forcePathStyle, skipVerify, storageClass, partSize, concurrency,
                sseCustomerAlgorithm, sseCustomerKey, sseKmsKeyId, accessKeyId, secretAccessKey);
    }

    public S3Settings withCredentials(String accessKeyId, String secretAccessKey) {
        return new S3Settings(bucket, path, region, endpoint, forcePathStyle, skipVerify, storageClass, partSize, concurrency,
                sseCustomerAlgorithm, sseCustomerKey, sseKmsKeyId, accessKeyId, secretAccessKey);
    }

    public S3Settings withPartSize(long partSize, int concurrency) {
        return new S3Settings(bucket, path, region, endpoint, forcePathStyle, skipVerify, storageClass, partSize, concurrency,
                sseCustomerAlgorithm, sseCustomerKey, sseKmsKeyId, accessKeyId, secretAccessKey);
    }

    /** The region to sign with: the one given, else us-east-1. */
    public String effectiveRegion() {
        return region != null ? region : DEFAULT_REGION;
    }

    /** {@code s3://bucket/path} plus the endpoint, for messages: never credentials. */
    public String describe() {
        return describe("s3");
    }

    /** {@code <scheme>://bucket/path} plus the endpoint, for messages: never credentials. */
    public String describe(String scheme) {
        return scheme + "://" + bucket + (path.isEmpty() ? "" : "/" + path) + (endpoint != null ? " (endpoint " + endpoint + ")" : "");
    }

    /**
     * Parses {@code s3://bucket/path?option=value&...}. Every option Litestream accepts is
     * honoured; any other is an error naming it, never silently ignored.
     */
    public static S3Settings parse(URI url) throws IOException {
        String bucket = url.getHost() != null ? url.getHost() : url.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IOException("replica URL %s: want s3://bucket/path".formatted(redacted(url)));
        }
        Map<String, String> q = query(url);
        String region = q.remove("region");
        String endpointText = q.remove("endpoint");
        URI endpoint = endpointText == null ? null : URI.create(endpointText.contains("://") ? endpointText : "https://" + endpointText);
        boolean pathStyle = endpoint != null;
        String ps = firstOf(q, "forcePathStyle", "force-path-style");
        if (ps != null) {
            pathStyle = bool(url, "forcePathStyle", ps);
        }
        String sv = firstOf(q, "skipVerify", "skip-verify");
        boolean skipVerify = sv != null && bool(url, "skipVerify", sv);
        String storageClass = firstOf(q, "storageClass", "storage-class");
        String partSizeText = firstOf(q, "partSize", "part-size");
        long partSize = partSizeText == null ? MIN_PART_SIZE : bytes(url, partSizeText);
        String concurrencyText = q.remove("concurrency");
        int concurrency = concurrencyText == null ? DEFAULT_CONCURRENCY : integer(url, "concurrency", concurrencyText);
        String sseAlgorithm = firstOf(q, "sseCustomerAlgorithm", "sse-customer-algorithm");
        String sseKey = firstOf(q, "sseCustomerKey", "sse-customer-key");
        String kms = firstOf(q, "sseKmsKeyId", "sse-kms-key-id");
        if (!q.isEmpty()) {
            throw new IOException("replica URL %s: unknown option %s (known: endpoint, region, forcePathStyle, skipVerify, storageClass, "
                    .formatted(redacted(url), String.join(", ", q.keySet())) + "partSize, concurrency, sseCustomerAlgorithm, sseCustomerKey, sseKmsKeyId)");
        }
        try {
            return new S3Settings(bucket, url.getPath(), region, endpoint, pathStyle, skipVerify, storageClass, partSize, concurrency,
                    sseAlgorithm, sseKey, kms, null, null);
        } catch (IllegalArgumentException e) {
            throw new IOException("replica URL %s: %s".formatted(redacted(url), e.getMessage()), e);
        }
    }

    /** Alibaba Cloud OSS's default region, as Litestream's. */
    static final String OSS_DEFAULT_REGION = "cn-hangzhou";
    private static final java.util.regex.Pattern OSS_HOST = java.util.regex.Pattern.compile("([^.]+)\\.oss-([a-z0-9-]+?)(?:-internal)?\\.aliyuncs\\.com");

    /**
     * Parses {@code oss://bucket[.oss-<region>.aliyuncs.com]/path?options}, served through OSS's
     * S3-compatible API: the region from the host, else {@code region=}, else cn-hangzhou; the
     * endpoint {@code https://oss-<region>.aliyuncs.com} unless {@code endpoint=} is given;
     * virtual-hosted addressing (OSS refuses path style) unless {@code forcePathStyle=true}.
     */
    public static S3Settings parseOss(URI url) throws IOException {
        S3Settings s = parse(url);
        String bucket = s.bucket();
        String region = s.region();
        java.util.regex.Matcher m = OSS_HOST.matcher(bucket);
        if (m.matches()) {
            bucket = m.group(1);
            region = region != null ? region : m.group(2);
        }
        region = region != null ? region : OSS_DEFAULT_REGION;
        URI endpoint = s.endpoint() != null ? s.endpoint() : URI.create("https://oss-" + region + ".aliyuncs.com");
        Map<String, String> q = query(url);
        String ps = firstOf(q, "forcePathStyle", "force-path-style");
        boolean pathStyle = ps != null && bool(url, "forcePathStyle", ps);
        return new S3Settings(bucket, s.path(), region, endpoint, pathStyle, s.skipVerify(), s.storageClass(), s.partSize(), s.concurrency(),
                s.sseCustomerAlgorithm(), s.sseCustomerKey(), s.sseKmsKeyId(), null, null);
    }

    private static Map<String, String> query(URI url) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = url.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }

    private static String firstOf(Map<String, String> q, String... names) {
        String found = null;
        for (String n : names) {
            String v = q.remove(n);
            if (v != null) {
                found = v;
            }
        }
        return found;
    }

    private static boolean bool(URI url, String name, String v) throws IOException {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "", "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IOException("replica URL %s: %s=%s: want true or false".formatted(redacted(url), name, v));
        };
    }

    private static int integer(URI url, String name, String v) throws IOException {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException("replica URL %s: %s=%s: want a whole number".formatted(redacted(url), name, v), e);
        }
    }

    /** Bytes, or with a unit: {@code 5MB}, {@code 5MiB}, {@code 10m} (binary multiples). */
    static long bytes(URI url, String v) throws IOException {
        String s = v.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (!s.isEmpty() && "KMG".indexOf(s.charAt(s.length() - 1)) >= 0) {
            unit = 1L << (10 * ("KMG".indexOf(s.charAt(s.length() - 1)) + 1));
            s = s.substring(0, s.length() - 1);
        }
        try {
            return Long.parseLong(s.trim()) * unit;
        } catch (NumberFormatException e) {
            throw new IOException("replica URL %s: partSize=%s: want bytes, or a size such as 16MB".formatted(redacted(url), v), e);
        }
    }

    private static String trimSlashes(String p) {
        int start = 0;
        int end = p.length();
        while (start < end && p.charAt(start) == '/') {
            start++;
        }
        while (end > start && p.charAt(end - 1) == '/') {
            end--;
        }
        return p.substring(start, end);
    }

    /** The URL without its query: the query may carry an SSE customer key. */
    static String redacted(URI url) {
        String s = url.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q) + "?...";
    }
}
