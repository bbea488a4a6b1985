package io.litestream4j.replica.webdav;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server that ignores {@code Range} (answers 200 with the whole file), as some WebDAV servers
 * do: reads still return exactly the bytes asked for, and the exact listing reads the header's
 * time once per file.
 */
@Timeout(60)
class RangeIgnoringServerTest {
    private static final Instant WRITTEN = Instant.parse("2026-11-29T10:00:00.456Z");
    private static final String FILE = "/p/ltx/0/0000000000000001-0000000000000001.ltx";

    private HttpServer server;
    private byte[] data;
    private final AtomicInteger gets = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        data = new byte[50_000];
        new Random(1).nextBytes(data);
        LtxHeader.of(4096, 1, 1, 1, WRITTEN.toEpochMilli(), 0).withFlags(LtxHeader.FLAG_NO_CHECKSUM).writeTo(data, 0);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getRawPath();
                exchange.getRequestBody().readAllBytes();
                if (exchange.getRequestMethod().equals("PROPFIND") && path.equals("/p/ltx/0/")) {
                    byte[] xml = """
                            <?xml version="1.0"?><multistatus xmlns="DAV:">
                            <response><href>/p/ltx/0/</href><propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
                            <response><href>%s</href><propstat><prop><getcontentlength>%d</getcontentlength>
                            <getlastmodified>Sun, 29 Nov 2026 10:00:05 GMT</getlastmodified></prop><status>HTTP/1.1 200 OK</status></propstat></response>
                            </multistatus>""".formatted(FILE, data.length).getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(207, xml.length);
                    exchange.getResponseBody().write(xml);
                } else if (exchange.getRequestMethod().equals("GET") && path.equals(FILE)) {
                    gets.incrementAndGet();
                    exchange.sendResponseHeaders(200, data.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(data);
                    } catch (java.io.IOException closedEarly) {
                        // the client read what it needed and hung up
                    }
                } else {
                    exchange.sendResponseHeaders(404, -1);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private byte[] read(WebDavReplicaClient c, long offset, long length) throws Exception {
        try (InputStream in = c.open(0, new TxidRange(1, 1), offset, length)) {
            return in.readAllBytes();
        }
    }

    @Test
    void rangedReadsAndHeaderTimesFromAServerThatIgnoresRange() throws Exception {
        URI url = URI.create("webdav://u:p@127.0.0.1:%d/p".formatted(server.getAddress().getPort()));
        try (WebDavReplicaClient c = (WebDavReplicaClient) new WebDavReplicaClientFactory().create(url)) {
            assertThat(read(c, 0, -1)).isEqualTo(data);
            assertThat(read(c, 1000, 10)).isEqualTo(Arrays.copyOfRange(data, 1000, 1010));
            assertThat(read(c, 49_990, -1)).isEqualTo(Arrays.copyOfRange(data, 49_990, 50_000));
            assertThat(read(c, 49_990, 100)).isEqualTo(Arrays.copyOfRange(data, 49_990, 50_000));
            assertThat(read(c, 60_000, 10)).isEmpty();

            assertThat(c.listFiles(0, 0).getFirst().createdAt()).as("the listing's time: the upload's").isEqualTo(Instant.parse("2026-11-29T10:00:05Z"));
            int before = gets.get();
            assertThat(c.listFilesExact(0, 0).getFirst().createdAt()).as("the header's time").isEqualTo(WRITTEN);
            assertThat(c.listFilesExact(0, 0).getFirst().createdAt()).isEqualTo(WRITTEN);
            assertThat(gets.get() - before).as("one header read per file, remembered").isEqualTo(1);
        }
    }
}
