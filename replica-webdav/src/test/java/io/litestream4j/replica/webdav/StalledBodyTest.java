package io.litestream4j.replica.webdav;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.ltx.TxidRange;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server that sends its headers and part of a body, then stalls without closing: a read, and
 * a listing, fail with a timeout naming the request once no byte came for the timeout, instead of
 * blocking for ever (the JDK's HTTP client times out only until the headers arrive).
 */
@Timeout(60) // the stall is 1 s; it ends a hang, not a slow run
class StalledBodyTest {
    private RawHttpServer server;
    /** Released when the test ends, so the stalled connections close. */
    private final CountDownLatch done = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        server = new RawHttpServer(this::stall);
    }

    /** Answers 200 (GET) or 207 (PROPFIND) with a long Content-Length, sends the start of a body and waits. */
    private void stall(Socket s, String head) throws Exception {
        String status = head.startsWith("PROPFIND") ? "207 Multi-Status" : "200 OK";
        OutputStream out = s.getOutputStream();
        out.write("HTTP/1.1 %s\r\nContent-Length: 100000\r\n\r\n".formatted(status).getBytes(StandardCharsets.US_ASCII));
        out.write("<?xml version=\"1.0\"?><multistatus xmlns=\"DAV:\"><response>".getBytes(StandardCharsets.US_ASCII));
        out.write(" ".repeat(1000).getBytes(StandardCharsets.US_ASCII)); // well-formed so far: the parser waits for more
        out.flush();
        done.await(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        done.countDown();
        server.close();
    }

    private WebDavReplicaClient client() {
        URI url = URI.create("http://127.0.0.1:" + server.port());
        return new WebDavReplicaClient(new WebDavSettings(url, List.of("p"), "u", "p", Duration.ofSeconds(1)));
    }

    @Test
    void aBodyThatStallsHalfWayTimesOut() throws Exception {
        try (WebDavReplicaClient c = client(); InputStream in = c.open(0, new TxidRange(1, 1), 0, -1)) {
            long started = System.nanoTime();
            assertThatThrownBy(in::readAllBytes).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("webdav replica webdav://127.0.0.1:%d/p".formatted(server.port()))
                    .hasMessageContaining("get /p/ltx/0/0000000000000001-0000000000000001.ltx").hasMessageContaining("no data");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("about the timeout, not for ever").isLessThan(Duration.ofSeconds(30));
            assertThat(Thread.currentThread().isInterrupted()).as("the timeout's interrupt does not leak to the caller").isFalse();
        }
    }

    @Test
    void aListingThatStallsHalfWayTimesOut() throws Exception {
        try (WebDavReplicaClient c = client()) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("webdav replica webdav://127.0.0.1:%d/p: list /p/ltx/0/".formatted(server.port()))
                    .hasMessageContaining("no data");
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }
}
