package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which ETags prove an upload wrong: only an MD5-shaped one that differs, where S3 defines the ETag as the MD5. */
class BodyDigestTest {
    private static final BodyDigest HELLO = BodyDigest.of("hello".getBytes(StandardCharsets.UTF_8));
    private static final String HELLO_MD5 = "5d41402abc4b2a76b9719d911017c592";

    @Test
    void theBodysMd5InAnyCaseAndQuotedPasses() {
        assertThatCode(() -> HELLO.checkEtag("put k", "\"" + HELLO_MD5 + "\"", null, false)).doesNotThrowAnyException();
        assertThatCode(() -> HELLO.checkEtag("put k", HELLO_MD5.toUpperCase(), "AES256", false)).as("OSS answers upper case").doesNotThrowAnyException();
    }

    @Test
    void anotherMd5IsAnUploadFailureNamingBoth() {
        assertThatThrownBy(() -> HELLO.checkEtag("put k", "\"00000000000000000000000000000000\"", null, false))
                .isInstanceOf(UploadVerificationException.class).hasMessageContaining("put k").hasMessageContaining(HELLO_MD5)
                .hasMessageContaining("00000000000000000000000000000000");
    }

    @Test
    void etagsThatAreNotMd5sProveNothing() {
        assertThatCode(() -> HELLO.checkEtag("put k", null, null, false)).doesNotThrowAnyException();
        assertThatCode(() -> HELLO.checkEtag("put k", "\"abc-3\"", null, false)).doesNotThrowAnyException();
        assertThatCode(() -> HELLO.checkEtag("put k", "00000000000000000000000000000000", "aws:kms", false)).doesNotThrowAnyException();
        assertThatCode(() -> HELLO.checkEtag("put k", "00000000000000000000000000000000", "aws:kms:dsse", false)).doesNotThrowAnyException();
        assertThatCode(() -> HELLO.checkEtag("put k", "00000000000000000000000000000000", null, true)).as("SSE-C").doesNotThrowAnyException();
    }

    @Test
    void theHeaderIsBase64() {
        org.assertj.core.api.Assertions.assertThat(HELLO.base64()).isEqualTo("XUFAKrxLKna5cZ2REBfFkg==");
    }
}
