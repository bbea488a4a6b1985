package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.Lease;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per replica, with the real CLI: a second {@code replicate} on the same replica exits
 * 1 naming the holder; after the holder is killed with SIGKILL the next one starts (the holder's
 * process is provably gone); a lease held elsewhere is taken only once it has expired; a lease
 * taken away from a running replicator turns /healthz red at its next write; an idle replica's
 * lease lapses unrenewed and its next write renews it ({@code LITESTREAM_LEASE_TTL} sets the TTL).
 */
class LeaseCliIT {
    private static final Map<String, String> TTL = Map.of("LITESTREAM_LEASE_TTL", "3s");
    /** Longer than a JVM start on a loaded machine: a take-over within it is not an expiry. */
    private static final Map<String, String> LONG_TTL = Map.of("LITESTREAM_LEASE_TTL", "2m");

    @TempDir
    Path dir;

    private Lease lease(Path replica) throws Exception {
        return Lease.parse(Files.readAllBytes(replica.resolve("lock.json")), "lock.json");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // four JVM starts; generous for a loaded machine
    void aSecondReplicatorIsRefusedAndTakesOverOnceTheFirstIsKilled() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        CliProcess first = CliProcess.start(LONG_TTL, dir, "replicate", db.toString(), replica.toString());
        CliProcess second = null;
        CliProcess third = null;
        try {
            assertThat(first.awaitLog("replicating to", Duration.ofSeconds(120))).as(first.output().toString()).isTrue();
            assertThat(lease(replica).owner()).endsWith(":" + first.pid());

            CliProcess.Result refused = CliProcess.run(LONG_TTL, dir, "replicate", db.toString(), replica.toString());
            assertThat(refused.code()).as(refused.toString()).isEqualTo(1);
            assertThat(refused.err()).contains("Error: database " + db).contains("lock.json is held by ")
                    .contains(":" + first.pid() + " until ").contains("another replicator writes to this replica");
            assertThat(first.isAlive()).as("the holder goes on").isTrue();

            first.kill();
            second = CliProcess.start(LONG_TTL, dir, "replicate", db.toString(), replica.toString());
            assertThat(second.awaitLog("replicating to", Duration.ofSeconds(120))).as(second.output().toString()).isTrue();
            assertThat(second.output().err()).contains("taking it over from").contains(":" + first.pid());
            assertThat(lease(replica).owner()).endsWith(":" + second.pid());
            assertThat(lease(replica).generation()).isEqualTo(2);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 5, 1000);
            }
            second.terminate();
            CliProcess.Result stopped = second.await(Duration.ofSeconds(60));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(replica.resolve("lock.json")).as("released on a clean shutdown").doesNotExist();

            // A lease of another machine (no process to check): refused until it expires.
            Files.write(replica.resolve("lock.json"), new Lease(7, Instant.now().plusSeconds(3600), "other-host:99").toJson());
            CliProcess.Result waiting = CliProcess.run(LONG_TTL, dir, "replicate", db.toString(), replica.toString());
            assertThat(waiting.code()).as(waiting.toString()).isEqualTo(1);
            assertThat(waiting.err()).contains("held by other-host:99 until");
            Files.write(replica.resolve("lock.json"), new Lease(7, Instant.now().minusSeconds(1), "other-host:99").toJson()); // the hour has passed
            third = CliProcess.start(LONG_TTL, dir, "replicate", db.toString(), replica.toString());
            assertThat(third.awaitLog("replicating to", Duration.ofSeconds(120))).as(third.output().toString()).isTrue();
            assertThat(lease(replica).generation()).isEqualTo(8);
            third.terminate();
            assertThat(third.await(Duration.ofSeconds(60)).code()).isZero();
        } finally {
            for (CliProcess p : new CliProcess[] {first, second, third}) {
                if (p != null && p.isAlive()) {
                    p.kill();
                }
            }
        }
        assertRestoresTo(replica, db);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aLeaseTakenAwayStopsWritesAndTurnsHealthRed() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        Path cfg = CliProcess.writeConfig(dir, """
                addr: 127.0.0.1:0
                dbs:
                  - path: %s
                    replica:
                      path: %s
                """.formatted(db, replica));
        CliProcess p = CliProcess.start(TTL, dir, "replicate", "-config", cfg.toString());
        try {
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            Matcher m = Pattern.compile("serving metrics on http://[^:]+:(\\d+)/metrics").matcher(p.output().err());
            assertThat(m.find()).as(p.output().toString()).isTrue();
            URI health = URI.create("http://127.0.0.1:" + m.group(1) + "/healthz");
            HttpClient http = HttpClient.newHttpClient();
            assertThat(http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            // Someone takes the lease (as a replicator on a host with a clock far ahead would, or
            // one that took it after it lapsed while our replica was idle).
            Path intruder = Files.write(dir.resolve("intruder.json"), new Lease(9, Instant.now().plusSeconds(3600), "intruder:1").toJson());
            Files.move(intruder, replica.resolve("lock.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            // The next write renews first (the replica was idle, its lease lapsed or about to) and finds the intruder's.
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 5, 1000);
            }
            HttpResponse<String> r = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // the sync comes within 1 s
            while (System.nanoTime() < deadline) {
                r = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 503) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("lease").contains("now held by intruder:1");
            long files = countLtx(replica);
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 5, 1000);
            }
            Thread.sleep(3000); // several sync intervals: nothing may reach the replica
            assertThat(countLtx(replica)).as("no file written after the lease was lost").isEqualTo(files);
            assertThat(lease(replica).owner()).isEqualTo("intruder:1");
            p.terminate();
            p.await(Duration.ofSeconds(60));
            assertThat(lease(replica).owner()).as("the loser leaves the holder's lease").isEqualTo("intruder:1");
        } finally {
            if (p.isAlive()) {
                p.kill();
            }
        }
    }

    /**
     * Leases on demand with the real CLI: once the database is idle the lease is no longer renewed
     * and lapses (its {@code expires_at} passes and stays put), and the next commit's upload renews
     * it first, as the same owner and generation. TTL 3 s: renewals every second while written. The
     * level-1 interval is an hour so that no compaction writes to the replica in the idle spell.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anIdleReplicasLeaseLapsesAndTheNextWriteRenewsIt() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        Path cfg = CliProcess.writeConfig(dir, """
                addr: 127.0.0.1:0
                levels:
                  - interval: 1h
                dbs:
                  - path: %s
                    replica:
                      path: %s
                """.formatted(db, replica));
        CliProcess p = CliProcess.start(TTL, dir, "replicate", "-config", cfg.toString());
        try {
            assertThat(p.awaitLog("replicating to", Duration.ofSeconds(120))).as(p.output().toString()).isTrue();
            Lease taken = lease(replica);
            assertThat(taken.owner()).endsWith(":" + p.pid());
            // Idle: the lease lapses (3 s after its last renewal) instead of being renewed every second.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!lease(replica).expiresAt().isBefore(Instant.now().minusSeconds(1)) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Lease lapsed = lease(replica);
            assertThat(lapsed.expiresAt()).as("lapsed at least 1 s ago").isBefore(Instant.now().minusSeconds(1));
            Thread.sleep(4000); // more than the TTL: a renewer would have rewritten it four times
            assertThat(lease(replica)).as("not renewed while idle").isEqualTo(lapsed);
            long files = countLtx(replica);

            Instant commit = Instant.now();
            try (Connection c = TestDb.open(db)) {
                TestDb.insert(c, 5, 1000);
            }
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (countLtx(replica) == files && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(countLtx(replica)).as("the commit reached the replica").isGreaterThan(files);
            Lease renewed = lease(replica);
            assertThat(renewed.expiresAt()).as("renewed by the upload").isAfter(commit);
            assertThat(renewed.owner()).isEqualTo(taken.owner());
            assertThat(renewed.generation()).as("a renewal, not a take-over").isEqualTo(taken.generation());
            assertThat(p.output().err()).doesNotContain("lost").doesNotContain("paused");
            p.terminate();
            CliProcess.Result stopped = p.await(Duration.ofSeconds(60));
            assertThat(stopped.code()).as(stopped.toString()).isZero();
            assertThat(replica.resolve("lock.json")).as("released on a clean shutdown").doesNotExist();
        } finally {
            if (p.isAlive()) {
                p.kill();
            }
        }
        assertRestoresTo(replica, db);
    }

    /** {@code restore} of {@code replica} gives {@code db}'s content. */
    private void assertRestoresTo(Path replica, Path db) throws Exception {
        Path out = dir.resolve("restored.db");
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", out.toString(), replica.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
    }

    private static long countLtx(Path replica) throws Exception {
        try (var walk = Files.walk(replica.resolve("ltx"))) {
            return walk.filter(f -> f.toString().endsWith(".ltx")).count();
        }
    }
}
