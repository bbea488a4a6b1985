package io.litestream4j.replica.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The MD5 of one request body (a single PUT or one part), sent as {@code Content-MD5} so the
 * store refuses a body that changed on the way, and compared with the ETag the store answers.
 *
 * <p>An ETag is compared only where S3 defines it as the body's MD5: 32 hex digits (any case: OSS
 * answers upper case) and the object not encrypted with KMS or a customer key (whose ETags are
 * not MD5s). Anything else (no ETag, another format) is not evidence either way and passes.
 */
record BodyDigest(byte[] md5) {
    private static final Pattern MD5_HEX = Pattern.compile("[0-9a-fA-F]{32}");

    static BodyDigest of(byte[] body) {
        try {
            return new BodyDigest(MessageDigest.getInstance("MD5").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    /** The {@code Content-MD5} header's value. */
    String base64() {
        return Base64.getEncoder().encodeToString(md5);
    }

    String hex() {
        return HexFormat.of().formatHex(md5);
    }

    /**
     * Checks the ETag the store answered for this body.
     *
     * @param what the object (and part) for the message
     * @param etag the ETag header, quoted or not, or null
     * @param encryption the server-side encryption the store reported ({@code AES256},
     *     {@code aws:kms}, ...), or null
     * @param customerKey whether the object was written with an SSE customer key
     */
    void checkEtag(String what, String etag, String encryption, boolean customerKey) throws UploadVerificationException {
        if (etag == null || customerKey || (encryption != null && encryption.toLowerCase(Locale.ROOT).startsWith("aws:kms"))) {
            return;
        }
        String bare = etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2 ? etag.substring(1, etag.length() - 1) : etag;
        if (MD5_HEX.matcher(bare).matches() && !bare.equalsIgnoreCase(hex())) {
            throw new UploadVerificationException("%s: the store's ETag %s is not the MD5 of the body sent (%s): it stored other bytes"
                    .formatted(what, bare, hex()));
        }
    }
}
