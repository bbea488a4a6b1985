package io.litestream4j.cli;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * One HTTP/1.1 request to a running replicator's control socket, as Litestream's commands send
 * it, bounded by a timeout (the connection is closed when it runs out).
 */
final class ControlClient {
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Go's {@code json.MarshalIndent(v, "", "  ")}: two spaces, {@code "key": value}, {@code []} for an empty array. */
    private static final DefaultPrettyPrinter GO_INDENT = new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withArrayEmptySeparator("").withObjectEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n"));

    record Answer(int status, JsonNode body, String text) {}

    private ControlClient() {}

    /**
     * Sends {@code method path} with {@code body} (a value to write as JSON, or null) and reads
     * the answer.
     *
     * @throws IOException "failed to connect to control socket: ..." when nothing listens, or the
     *     timeout ran out
     */
    static Answer send(Path socket, String method, String path, Object body, Duration timeout) throws IOException {
        byte[] payload = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        SocketChannel c;
        try {
            c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new IOException("failed to connect to control socket: dial unix %s: %s".formatted(socket, e.getMessage()), e);
        }
        Thread timer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(timeout);
                c.close();
            } catch (InterruptedException | IOException done) {
                // answered in time
            }
        });
        try (c) {
            String head = "%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    .formatted(method, path, payload.length);
            var out = Channels.newOutputStream(c);
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            return read(Channels.newInputStream(c));
        } catch (AsynchronousCloseException e) {
            throw new IOException("no answer from control socket %s within %s".formatted(socket, io.litestream4j.core.GoDuration.format(timeout)), e);
        } finally {
            timer.interrupt();
        }
    }

    private static Answer read(InputStream in) throws IOException {
        byte[] all = in.readAllBytes(); // the server closes the connection after its answer
        String text = new String(all, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            throw new IOException("control socket answered something that is not HTTP: " + text.substring(0, Math.min(80, text.length())));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        int length = -1;
        for (String line : lines) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(all, end + 4, length >= 0 ? Math.min(length, all.length - end - 4) : all.length - end - 4);
        String bodyText = body.toString(StandardCharsets.UTF_8);
        JsonNode json;
        try {
            json = JSON.readTree(bodyText);
        } catch (IOException e) {
            json = null;
        }
        return new Answer(status, json, bodyText);
    }

    /** {@code value} as Go's {@code json.MarshalIndent} writes it. */
    static String pretty(Object value) throws IOException {
        return JSON.writer(GO_INDENT).writeValueAsString(value);
    }
}
