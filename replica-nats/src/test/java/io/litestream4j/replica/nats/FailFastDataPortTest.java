package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection reset in the middle of the handshake fails the attempt at once, not after the
 * {@code timeout} ({@link FailFastDataPort}). The server here is a socket that says NATS's
 * {@code INFO}, reads the client's {@code CONNECT} and resets the connection: what a network
 * that drops a reconnect does, made certain.
 */
class FailFastDataPortTest {
    /** Far longer than a failed handshake takes, so waiting it out cannot pass for failing fast. */
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void thisJnatsLetsAFailedSocketEndTheAttempt() {
        assertThat(FailFastDataPort.failsFast()).as("NatsConnection.cleanUpPongQueue() reachable").isTrue();
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a regression waits out TIMEOUT (30 s); room for a loaded machine
    void aResetAfterTheClientsConnectFailsTheConnectionAttemptLongBeforeTheTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> heard = CompletableFuture.supplyAsync(() -> acceptAndResetAfterConnect(server));
            NatsSettings settings = new NatsSettings("nats://127.0.0.1:" + server.getLocalPort(), "bucket", null, null, null, null, null, null,
                    null, false, List.of(), null, null, 0, Duration.ofMillis(100), TIMEOUT);
            long start = System.nanoTime();
            try (BucketConnection connection = new BucketConnection(settings)) {
                assertThatThrownBy(connection::bucket).isInstanceOf(IOException.class).hasMessageContaining("cannot connect");
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(heard.get(30, TimeUnit.SECONDS)).as("what the client sent before the reset").startsWith("CONNECT ");
            // Failing fast takes milliseconds; a third of the timeout leaves a slow machine room
            // and still tells failing fast from waiting the timeout out.
            assertThat(took).as("from the connect to its failure").isLessThan(TIMEOUT.dividedBy(3));
        }
    }

    /** Accepts one client, sends INFO, reads its CONNECT line and resets the connection; returns that line. */
    private static String acceptAndResetAfterConnect(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.getOutputStream().write(("INFO {\"server_id\":\"resetter\",\"version\":\"2.9.10\",\"proto\":1,\"host\":\"127.0.0.1\","
                    + "\"port\":4222,\"headers\":true,\"max_payload\":1048576}\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String line = readLine(s.getInputStream());
            s.setSoLinger(true, 0); // close with a RST: "connection reset"
            return line;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().strip();
    }
}
