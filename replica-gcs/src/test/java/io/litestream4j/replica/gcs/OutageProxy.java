package io.litestream4j.replica.gcs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy in front of the emulator, on a port of its own, that can take the server
 * away and bring it back: {@link #down()} closes the listening socket and every open connection
 * (new connections are refused, as from a stopped server), {@link #up()} listens on the same port
 * again. The emulator keeps its objects in memory, so stopping the emulator itself would lose the
 * replica; this makes the same outage for the client without that. It also counts the bytes
 * clients send, so a test can tell that no request was made.
 */
public final class OutageProxy implements AutoCloseable {
    private final InetSocketAddress upstream;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesFromClients = new AtomicLong();
    private volatile ServerSocket listener;

    public OutageProxy(URI server) throws IOException {
        this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = listener.getLocalPort();
        startAccepting(listener);
    }

    /** The proxy's URL, for {@code STORAGE_EMULATOR_HOST}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Every byte clients have sent through the proxy: unchanged means no request was made. */
    public long bytesFromClients() {
        return bytesFromClients.get();
    }

    /** Refuses new connections and resets the open ones. */
    public synchronized void down() throws IOException {
        listener.close();
        for (Socket s : open) {
            s.close();
        }
        open.clear();
    }

    /** Listens again on the same port. */
    public synchronized void up() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        listener = s;
        startAccepting(s);
    }

    private void startAccepting(ServerSocket server) {
        Thread.ofVirtual().name("outage proxy").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket target = new Socket();
                    try {
                        target.connect(upstream, 10_000);
                    } catch (IOException e) {
                        client.close();
                        continue;
                    }
                    open.add(client);
                    open.add(target);
                    Thread.ofVirtual().start(() -> pump(client, target, true));
                    Thread.ofVirtual().start(() -> pump(target, client, false));
                } catch (IOException e) {
                    // closed by down() or close()
                }
            }
        });
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        byte[] buffer = new byte[64 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0;) {
                if (fromClient) {
                    bytesFromClients.addAndGet(n);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // one side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        down();
    }
}
