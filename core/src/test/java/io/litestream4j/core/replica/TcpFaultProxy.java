package io.litestream4j.core.replica;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy in front of a real server that, while faulty, harms a share of the
 * requests the way networks do: resets the connection (RST) part-way through the request's first
 * bytes, or stalls them for a while before passing them on. Byte-level, so it knows nothing
 * of HTTP: the client's own retries, timeouts and connection pool meet real broken sockets.
 */
public final class TcpFaultProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Random random;
    private volatile double faultRate;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong bytesFromClients = new AtomicLong();

    public TcpFaultProxy(URI server, long seed) throws IOException {
        this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.random = new Random(seed);
        Thread.ofVirtual().name("tcp fault proxy").start(this::accept);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** The loopback port clients connect to instead of the server's. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections clients opened through the proxy so far. */
    public long connections() {
        return connections.get();
    }

    /** Bytes clients sent through the proxy so far: any request, whatever the protocol, sends some. */
    public long bytesFromClients() {
        return bytesFromClients.get();
    }

    /** The share of requests to harm (half reset, half stalled); 0 heals the network. */
    public void faultRate(double rate) {
        this.faultRate = rate;
    }

    public String stats() {
        return "%d connections, %d reset, %d stalled".formatted(connections.get(), resets.get(), stalls.get());
    }

    public long faults() {
        return resets.get() + stalls.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(upstream, 5000);
                sockets.add(client);
                sockets.add(server);
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> pump(client, server, true));
                Thread.ofVirtual().start(() -> pump(server, client, false));
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
            }
        }
    }

    /**
     * Copies {@code from} to {@code to}. Client to server ({@code harm}), the first bytes of each
     * request (after a connection opens or has been idle 50 ms: connections are reused) are, for
     * the fault rate's share, reset part-way (both sockets) or held back 0.2-2 s first.
     */
    private void pump(Socket from, Socket to, boolean harm) {
        byte[] buf = new byte[8192];
        long lastRead = 0;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                long now = System.nanoTime();
                boolean newRequest = harm && now - lastRead > 50_000_000L;
                lastRead = now;
                if (newRequest) {
                    double roll;
                    int cut;
                    long stallMillis;
                    synchronized (random) {
                        roll = random.nextDouble();
                        cut = random.nextInt(n);
                        stallMillis = 200 + random.nextInt(1800);
                    }
                    if (roll < faultRate / 2) {
                        resets.incrementAndGet();
                        out.write(buf, 0, cut);
                        out.flush();
                        abort(from);
                        abort(to);
                        return;
                    }
                    if (roll < faultRate) {
                        stalls.incrementAndGet();
                        Thread.sleep(stallMillis);
                    }
                }
                if (harm) {
                    bytesFromClients.addAndGet(n);
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the other side closed or was reset
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Closes with SO_LINGER 0: the peer gets a RST, "connection reset". */
    private static void abort(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(TcpFaultProxy::closeQuietly);
    }
}
