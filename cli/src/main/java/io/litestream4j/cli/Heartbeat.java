package io.litestream4j.cli;

import io.litestream4j.core.DatabaseReplicator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code heartbeat-url}: a GET to a dead man's switch (healthchecks.io and the like) once
 * replication is healthy at start, then every {@code heartbeat-interval} while every database's
 * replicas hold their changes (or have been behind for less than the interval) and none is
 * failing. When something is wrong no ping is sent, and the monitoring service raises the alarm.
 */
final class Heartbeat implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");

    private final URI url;
    private final Duration interval;
    private final Supplier<List<DatabaseReplicator>> databases;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Thread thread;
    private volatile boolean running = true;

    Heartbeat(URI url, Duration interval, Supplier<List<DatabaseReplicator>> databases) {
        this.url = url;
        this.interval = interval;
        this.databases = databases;
        this.thread = Thread.ofVirtual().name("heartbeat").start(this::run);
    }

    private void run() {
        while (running) {
            String problem = problem();
            if (problem == null) {
                ping();
            } else {
                LOG.log(System.Logger.Level.WARNING, "heartbeat not sent: {0}", problem);
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Why no ping should go out now, or null if every database is healthy. */
    String problem() {
        List<String> problems = ReplicationHealth.problems(databases.get(), interval);
        return problems.isEmpty() ? null : problems.getFirst();
    }

    private void ping() {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 != 2) {
                LOG.log(System.Logger.Level.WARNING, "heartbeat {0}: HTTP {1}", redacted(), response.statusCode());
            } else {
                LOG.log(System.Logger.Level.DEBUG, "heartbeat sent to {0}", redacted());
            }
        } catch (java.io.IOException e) {
            LOG.log(System.Logger.Level.WARNING, "heartbeat {0}: {1}", redacted(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The URL without its path and query: ping URLs often carry a secret token there. */
    private String redacted() {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() > 0 ? ":" + url.getPort() : "") + "/...";
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
