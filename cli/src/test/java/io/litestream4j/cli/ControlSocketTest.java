package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.ReplicationEvents;
import io.litestream4j.CompactionSettings;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The control socket's HTTP and its error answers, in-process against a replicator with no databases. */
@Timeout(120) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ControlSocketTest {
    @TempDir
    Path dir;

    private static String raw(Path socket, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            c.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String post(Path socket, String path, String body) throws IOException {
        return raw(socket, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s".formatted(path, body.getBytes(StandardCharsets.UTF_8).length, body));
    }

    @Test
    void answersLitestreamsErrorsAndShapes() throws Exception {
        Path socket = dir.resolve("c.sock");
        try (Replication replication = Replication.start(List.of(), CompactionSettings.defaults(), Clock.systemUTC(), ReplicationEvents.NONE, null);
                ControlSocket server = ControlSocket.start(socket, 0600, new ControlApi(replication, new ControlApi.Targets() {
                    @Override
                    public DatabaseWait.TargetMaker known(Path db) {
                        return null;
                    }

                    @Override
                    public DatabaseWait.TargetMaker register(Path db, String replicaUrl) throws IOException {
                        throw new IOException("unknown replica type");
                    }

                    @Override
                    public void forget(Path db) {}
                }, "v9.9.9", Clock.systemUTC()))) {
            assertThat(raw(socket, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 OK\r\n")
                    .contains("Content-Type: application/json\r\n").endsWith("\r\n\r\n{\"databases\":[]}\n");
            assertThat(raw(socket, "GET /info HTTP/1.1\r\n\r\n")).contains("\"version\":\"v9.9.9\",\"pid\":" + ProcessHandle.current().pid())
                    .contains("\"database_count\":0");
            assertThat(post(socket, "/sync", "{\"path\":\"" + dir.resolve("a.db") + "\"}")).startsWith("HTTP/1.1 404 ")
                    .endsWith("{\"error\":\"database not found: " + dir.resolve("a.db") + "\"}\n");
            assertThat(post(socket, "/start", "{\"path\":\"/x.db\"}")).startsWith("HTTP/1.1 500 ").contains("database not found: /x.db");
            assertThat(post(socket, "/stop", "{nope")).startsWith("HTTP/1.1 400 ").contains("\"error\":\"invalid request body\",\"details\":");
            assertThat(post(socket, "/sync", "{}")).startsWith("HTTP/1.1 400 ").contains("{\"error\":\"path required\"}");
            assertThat(post(socket, "/register", "{\"path\":\"/x.db\"}")).startsWith("HTTP/1.1 400 ").contains("replica_url required");
            assertThat(post(socket, "/register", "{\"path\":\"/x.db\",\"replica_url\":\"zz://q\"}")).startsWith("HTTP/1.1 400 ")
                    .contains("invalid replica url: unknown replica type");
            assertThat(post(socket, "/unregister", "{\"path\":\"/x.db\"}")).startsWith("HTTP/1.1 200 ")
                    .contains("{\"status\":\"already_unregistered\",\"path\":\"/x.db\",\"txid\":0}");
            assertThat(raw(socket, "GET /txid HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("path required");
            assertThat(raw(socket, "GET /txid?path=%2Fx.db HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404 ").contains("database not found");
            assertThat(raw(socket, "GET /sync HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 405 ");
            assertThat(raw(socket, "GET /nope HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404 ");
            assertThat(raw(socket, "POST /sync HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).startsWith("HTTP/1.1 411 ");
            assertThat(raw(socket, "garbage\r\n\r\n")).startsWith("HTTP/1.1 400 ");
            assertThat(raw(socket, "POST /sync HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")).startsWith("HTTP/1.1 413 ");
            // The CLI's client against the same server.
            ControlClient.Answer a = ControlClient.send(socket, "GET", "/list", null, Duration.ofSeconds(30));
            assertThat(a.status()).isEqualTo(200);
            assertThat(ControlClient.pretty(a.body())).isEqualTo("{\n  \"databases\": []\n}");
        }
        assertThat(socket).as("removed on close").doesNotExist();
    }

    @Test
    void aNonSocketAtThePathIsNeverDeletedAndAMissingFolderIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("c.sock"), "data");
        assertThatThrownBy(() -> ControlSocket.start(file, 0600, r -> null)).hasMessageContaining("the path exists and is not a socket");
        assertThat(Files.readString(file)).isEqualTo("data");
        Path link = Files.createSymbolicLink(dir.resolve("l.sock"), dir.resolve("elsewhere"));
        assertThatThrownBy(() -> ControlSocket.start(link, 0600, r -> null)).hasMessageContaining("is not a socket");
        assertThatThrownBy(() -> ControlSocket.start(dir.resolve("no").resolve("c.sock"), 0600, r -> null))
                .hasMessageContaining("directory " + dir.resolve("no") + " does not exist");
    }
}
