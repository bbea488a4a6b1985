package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.compaction.CompactionSettings;
import io.litestream4j.ltx.LtxFileInfo;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idle database costs nothing on S3: after a burst of writes has been uploaded and compacted,
 * a whole minute with compaction boundaries and retention checks in it sends no request at all.
 */
class S3IdleCostTest {
    @TempDir
    Path dir;

    @Test
    void anIdleMinuteSendsNoRequest() throws Exception {
        try (S3TestServer server = S3TestServer.start()) {
            server.createBucket("idle");
            Path db = TestDb.create(dir, "app.db", 4096, 10);
            // Level 1 every 10 s so the idle minute holds six compaction boundaries and four retention checks.
            CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(10)), Duration.ofHours(24), Duration.ofHours(24),
                    Duration.ofMinutes(5), true);
            avoidMidnight(); // the daily snapshot is due at 00:00 UTC
            DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults().withMonitorInterval(Duration.ofMillis(100)),
                    List.of(new DatabaseReplicator.Destination(new S3ReplicaClient(server.settings("idle", "app.db")), Duration.ZERO)),
                    settings, Clock.systemUTC());
            try {
                try (Connection c = TestDb.open(db)) {
                    for (int i = 0; i < 20; i++) {
                        TestDb.insert(c, 3, 200);
                        Thread.sleep(20);
                    }
                }
                long txid = r.database().txid();
                while (r.replicaPositions().getFirst() < txid) {
                    Thread.sleep(50);
                }
                // Let the next level-1 compaction and a retention check run over the burst.
                Thread.sleep(Duration.ofSeconds(22));
                assertThat(r.database().txid()).as("nothing written since the burst").isEqualTo(txid);
                try (S3ReplicaClient check = new S3ReplicaClient(server.settings("idle", "app.db"))) {
                    assertThat(check.listFiles(1, 0)).as("level 1 covers the burst").isNotEmpty()
                            .last().extracting(LtxFileInfo::maxTxid).isEqualTo(txid);
                }

                long before = server.operations();
                Thread.sleep(Duration.ofSeconds(60));
                long during = server.operations() - before;
                System.out.printf("S3IdleCostTest: %d storage operations during an idle minute%n", during);
                assertThat(during).as("requests while idle").isZero();
            } finally {
                r.stop(Duration.ofSeconds(30));
                r.close();
            }
        }
    }

    private static void avoidMidnight() throws InterruptedException {
        Instant now = Instant.now();
        Instant midnight = now.truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
        if (Duration.between(now, midnight).compareTo(Duration.ofMinutes(3)) < 0) {
            Thread.sleep(Duration.between(now, midnight).plusSeconds(5));
        }
    }
}
