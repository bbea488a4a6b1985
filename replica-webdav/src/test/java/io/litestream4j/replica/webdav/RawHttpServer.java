package io.litestream4j.replica.webdav;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A loopback server for tests of how the client meets misbehaving servers: it reads each
 * connection's first request head and hands it with the socket to a handler, which answers (or
 * does not) as the test needs. Closes the socket when the handler returns.
 */
final class RawHttpServer implements AutoCloseable {
    /** Answers one request; {@code head} is the request line and headers, ending with the blank line. */
    interface Handler {
        void handle(Socket socket, String head) throws Exception;
    }

    private final ServerSocket listener;
    private final Thread acceptor;

    RawHttpServer(Handler handler) throws IOException {
        listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    Thread.ofPlatform().daemon().start(() -> serve(s, handler));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    int port() {
        return listener.getLocalPort();
    }

    private static void serve(Socket s, Handler handler) {
        try (s) {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    return;
                }
                head.append((char) c);
            }
            handler.handle(s, head.toString());
        } catch (Exception ignored) {
            // the client hung up
        }
    }

    @Override
    public void close() throws Exception {
        listener.close();
        acceptor.join(10_000);
    }
}
