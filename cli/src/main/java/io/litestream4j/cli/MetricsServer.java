package io.litestream4j.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.litestream4j.core.DatabaseReplicator;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The HTTP server on {@code addr}: {@code /metrics} in Prometheus' format, {@code /healthz}
 * answering 200 when every database syncs and every replica's last upload succeeded, else 503
 * with the reasons; and the status page ({@link StatusPage}) at {@code /} and {@code /status.json}.
 */
final class MetricsServer implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@code addr} ({@code :9090}, {@code host:9090}); a port in use is an error naming it. */
    static MetricsServer start(String addr, Metrics metrics, Supplier<List<DatabaseReplicator>> databases) throws IOException {
        return start(addr, metrics, databases, null);
    }

    /** {@link #start(String, Metrics, Supplier)}, with the status page at {@code /} unless {@code page} is null. */
    static MetricsServer start(String addr, Metrics metrics, Supplier<List<DatabaseReplicator>> databases, StatusPage page) throws IOException {
        InetSocketAddress socket = parse(addr);
        HttpServer server;
        try {
            server = HttpServer.create(socket, 16);
        } catch (IOException e) {
            throw new IOException("addr %s: cannot listen: %s".formatted(addr, e.getMessage()), e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/metrics", new MetricsHandler(metrics.registry()));
        server.createContext("/healthz", exchange -> health(exchange, databases.get()));
        if (page != null) {
            page.register(server);
        }
        server.start();
        LOG.log(System.Logger.Level.INFO, "serving metrics on http://{0}:{1}/metrics", socket.getHostString(),
                String.valueOf(server.getAddress().getPort()));
        return new MetricsServer(server);
    }

    int port() {
        return server.getAddress().getPort();
    }

    static InetSocketAddress parse(String addr) {
        int colon = addr.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("addr \"%s\": want host:port or :port".formatted(addr));
        }
        String host = addr.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(addr.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("addr \"%s\": the port must be a number".formatted(addr), e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("addr \"%s\": the port must be 0 to 65535".formatted(addr));
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static void health(HttpExchange exchange, List<DatabaseReplicator> databases) throws IOException {
        List<String> problems = ReplicationHealth.problems(databases, null);
        byte[] body = (problems.isEmpty() ? "ok\n" : String.join("\n", problems) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(problems.isEmpty() ? 200 : 503, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
