package io.litestream4j.replica.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 proxy in front of a plain-HTTP S3 server that forwards every byte as is
 * (the Host header too, so signatures still hold), records each request's line and headers, and
 * on demand flips one byte in the middle of the next request bodies: what a faulty network card,
 * a broken middlebox or a bad cable does. Request bodies are framed by Content-Length only; a
 * body in any other framing is recorded and forwarded raw to the end of the connection.
 */
public final class BodyTamperingProxy implements AutoCloseable {
    /** One request as it went through: method, target, headers (names lower-cased), body length. */
    public record Request(String method, String target, Map<String, String> headers, long bodyLength, boolean corrupted) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger corruptNext = new AtomicInteger();
    private final Thread acceptor;

    public BodyTamperingProxy(URI server) throws IOException {
        if (!"http".equals(server.getScheme())) {
            throw new IllegalArgumentException("the proxy reads plain HTTP only, not " + server);
        }
        this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().name("tampering proxy").start(this::accept);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Flips one byte in each of the next {@code count} request bodies (of any request with one). */
    public void corruptNextBodies(int count) {
        corruptNext.set(count);
    }

    /** Bodies still to corrupt. */
    public int corruptionsLeft() {
        return corruptNext.get();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(upstream, 5000);
                sockets.add(client);
                sockets.add(server);
                Thread.ofVirtual().start(() -> pipeRequests(client, server));
                Thread.ofVirtual().start(() -> copy(server, client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the other side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void pipeRequests(Socket client, Socket server) {
        try {
            InputStream in = client.getInputStream();
            OutputStream out = server.getOutputStream();
            while (true) {
                byte[] head = readHead(in);
                if (head == null) {
                    break;
                }
                out.write(head);
                out.flush(); // before the body: the client may wait for "100 Continue"
                String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
                String[] requestLine = lines[0].split(" ");
                Map<String, String> headers = new LinkedHashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    int colon = lines[i].indexOf(':');
                    if (colon > 0) {
                        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                    }
                }
                String length = headers.get("content-length");
                if (length == null && headers.containsKey("transfer-encoding")) {
                    requests.add(new Request(requestLine[0], requestLine[1], headers, -1, false));
                    in.transferTo(out);
                    break;
                }
                long n = length == null ? 0 : Long.parseLong(length);
                boolean corrupt = n > 0 && corruptNext.getAndUpdate(c -> Math.max(0, c - 1)) > 0;
                requests.add(new Request(requestLine[0], requestLine[1], headers, n, corrupt));
                forwardBody(in, out, n, corrupt ? n / 2 : -1);
            }
        } catch (IOException ignored) {
            // a side closed the connection
        } finally {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    /** The request line and headers up to and including the blank line, or null at the end of the stream. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
        }
        return head.toByteArray();
    }

    private static void forwardBody(InputStream in, OutputStream out, long length, long flipAt) throws IOException {
        byte[] buf = new byte[64 << 10];
        long done = 0;
        while (done < length) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, length - done));
            if (r < 0) {
                throw new IOException("request body ended early");
            }
            if (flipAt >= done && flipAt < done + r) {
                buf[(int) (flipAt - done)] ^= 0x01;
            }
            out.write(buf, 0, r);
            done += r;
        }
        out.flush();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        sockets.forEach(BodyTamperingProxy::closeQuietly);
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
