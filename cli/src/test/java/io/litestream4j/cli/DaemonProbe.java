package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metrics endpoint of a running {@code replicate} (started with {@code addr: 127.0.0.1:0}):
 * {@code /healthz} and the TXID gauges, polled with bounded waits. One database and one replica.
 */
final class DaemonProbe {
    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    private DaemonProbe(int port) {
        this.port = port;
    }

    /** The probe of {@code p}, whose log names the port it serves metrics on. */
    static DaemonProbe of(CliProcess p) throws java.io.IOException {
        Matcher m = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics").matcher(p.output().err());
        assertThat(m.find()).as(p.output().toString()).isTrue();
        return new DaemonProbe(Integer.parseInt(m.group(1)));
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code /healthz} until it answers {@code status}; false if it did not within {@code patience}. */
    boolean awaitHealth(int status, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (get("/healthz").statusCode() == status) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    /** The first sample of {@code metric} (any labels), NaN if there is none. */
    double sample(String metric) throws Exception {
        Matcher m = Pattern.compile("^" + Pattern.quote(metric) + "\\{[^}]*\\} (\\S+)$", Pattern.MULTILINE).matcher(get("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** The database's TXID. */
    double txid() throws Exception {
        return sample("litestream_txid");
    }

    /** The highest TXID the replica holds. */
    double replicaTxid() throws Exception {
        return sample("litestream_replica_txid");
    }

    /**
     * Waits until the replica holds at least TXID {@code target}; returns how long that took from
     * {@code sinceNanos} ({@link System#nanoTime}), or null if it did not within {@code patience}.
     */
    Duration awaitReplicaTxid(double target, long sinceNanos, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (replicaTxid() >= target) {
                return Duration.ofNanos(System.nanoTime() - sinceNanos);
            }
            Thread.sleep(100);
        }
        return null;
    }

    /** Waits (at most {@code patience}) until the replica holds the database's current TXID; true if it does. */
    boolean awaitCaughtUp(Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            double txid = txid();
            if (txid > 0 && replicaTxid() == txid) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * After a storage outage ended at {@code upNanos} ({@link System#nanoTime}): waits until the
     * replica holds the TXID the database had then and until {@code /healthz} is 200 again,
     * prints both times for the record under {@code label}, and checks each is under 15 s (10 s
     * is the bar: uploads and maintenance retry at least every 5 s; 15 s leaves room for a busy
     * machine). Returns the time to catch up.
     */
    Duration assertRecovers(String label, long upNanos) throws Exception {
        Duration lag = awaitReplicaTxid(txid(), upNanos, Duration.ofSeconds(120));
        assertThat(lag).as("%s: the replica caught up after the outage", label).isNotNull();
        assertThat(awaitHealth(200, Duration.ofSeconds(120))).as("%s: /healthz recovers after the outage", label).isTrue();
        Duration healthy = Duration.ofNanos(System.nanoTime() - upNanos);
        System.err.printf("%s: caught up %d ms and healthy again %d ms after the storage was reachable again%n", label, lag.toMillis(),
                healthy.toMillis());
        assertThat(lag).as("%s: catching up after the outage", label).isLessThan(Duration.ofSeconds(15));
        assertThat(healthy).as("%s: healthy again after the outage", label).isLessThan(Duration.ofSeconds(15));
        return lag;
    }
}
