package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.ltx.LtxChecksumException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class ErrorCodesTest {
    @Test
    void failuresGetShortStableCodesNeverClassNames() {
        assertThat(ErrorCodes.of(new NoSuchFileException("/r/ltx/0/x.ltx"))).isEqualTo("NotFound");
        assertThat(ErrorCodes.of(new AccessDeniedException("/r/ltx/0/x.ltx.tmp"))).isEqualTo("AccessDenied");
        assertThat(ErrorCodes.of(new FileSystemException("/r/x.tmp", null, "No space left on device"))).isEqualTo("NoSpace");
        assertThat(ErrorCodes.of(new IOException("No space left on device"))).isEqualTo("NoSpace");
        assertThat(ErrorCodes.of(new IOException("upload", new SocketTimeoutException("read timed out")))).isEqualTo("Timeout");
        assertThat(ErrorCodes.of(new ConnectException("Connection refused"))).isEqualTo("Network");
        assertThat(ErrorCodes.of(new LtxChecksumException("0/x.ltx", "file", 1, 2))).isEqualTo("Corrupt");
        assertThat(ErrorCodes.of(new IOException("s3 replica s3://b/p: put 0/x: SlowDown (HTTP 503)"))).isEqualTo("SlowDown");
        assertThat(ErrorCodes.of(new IOException("s3 replica s3://b/p: list: error (HTTP 403): access denied"))).isEqualTo("AccessDenied");
        assertThat(ErrorCodes.of(new IOException("s3 replica s3://b/p: list: error (HTTP 502)"))).isEqualTo("HTTP502");
        assertThat(ErrorCodes.of(new java.io.EOFException())).isEqualTo("IOError");
        assertThat(ErrorCodes.of(new IllegalStateException("bug"))).isEqualTo("Internal");
    }
}
