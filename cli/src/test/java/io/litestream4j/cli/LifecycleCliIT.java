package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code replicate} started before its database exists (a service started before the
 * application), and stopped by the signals a service gets.
 */
@Timeout(600)
class LifecycleCliIT {
    @TempDir
    Path dir;

    private static int count(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    /** Waits for {@code db} to be created, writes to it, stops with {@code signal}; the replica must then restore it exactly. */
    private void waitsForTheDatabase(CliProcess p, Path db, Path replica, String signal) throws Exception {
        assertThat(p.awaitLog(db + " does not exist yet: waiting for it to be created", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.isAlive()).isTrue();
        TestDb.create(dir, db.getFileName().toString(), 4096, 20);
        assertThat(p.awaitLog(db + " was created: replicating it", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < 10; i++) {
                TestDb.insert(c, 1, 100);
            }
        }
        p.signal(signal);
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(count(r.err(), "does not exist yet")).as("logged once: " + r).isEqualTo(1);
        assertThat(r.err()).contains("signal received").contains("litestream shut down");
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", dir.resolve("out.db").toString(), replica.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("out.db"))).isEqualTo(TestDb.digest(db));
    }

    @Test
    void aDatabaseNamedOnTheCommandLineIsReplicatedOnceItIsCreated() throws Exception {
        Path db = dir.resolve("later.db");
        Path replica = dir.resolve("replica");
        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), replica.toString());
        waitsForTheDatabase(p, db, replica, "TERM");
    }

    @Test
    void aConfiguredDatabaseIsReplicatedOnceItIsCreatedWhileTheOthersReplicate() throws Exception {
        Path present = TestDb.create(dir, "present.db", 4096, 5);
        Path db = dir.resolve("later.db");
        Path cfg = dir.resolve("litestream.yml");
        Files.writeString(cfg, "dbs:\n  - path: %s\n    replica:\n      path: %s\n  - path: %s\n    replica:\n      path: %s\n"
                .formatted(present, dir.resolve("r1"), db, dir.resolve("r2")));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog(present + ": replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        // A SIGHUP stops it like a SIGTERM: final sync, exit 0.
        waitsForTheDatabase(p, db, dir.resolve("r2"), "HUP");
    }

    @Test
    void aStopWhileWaitingExitsCleanly() throws Exception {
        Path db = dir.resolve("never.db");
        CliProcess p = CliProcess.start(dir, "replicate", db.toString(), dir.resolve("replica").toString());
        assertThat(p.awaitLog("does not exist yet", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).contains("litestream shut down").doesNotContain("ERROR").doesNotContain("Error");
        assertThat(db).doesNotExist();
    }
}
