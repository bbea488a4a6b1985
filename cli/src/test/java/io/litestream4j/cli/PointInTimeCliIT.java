package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * Point-in-time restore, {@code -dry-run}, {@code -parallelism} and the {@code ltx} listing through
 * the real {@code bin/litestream}: three {@code replicate -once} runs, each after more writes, make
 * three TXIDs with real timestamps; restores by time land on the state between them.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class PointInTimeCliIT {
    @TempDir
    Path dir;

    @Test
    void restoreByTimestampTxidAndDryRunAndListFiles() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path replica = dir.resolve("replica");
        List<String> digests = new ArrayList<>();
        List<Instant> after = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            if (round > 0) {
                try (Connection c = TestDb.open(db)) {
                    TestDb.insert(c, 30 * round, 200);
                }
            }
            CliProcess.Result r = CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            digests.add(TestDb.digest(db));
            after.add(Instant.now());
            Thread.sleep(20); // the next file's timestamp (milliseconds) must be later than this moment
        }

        CliProcess.Result list = CliProcess.run(dir, "ltx", "-json", "-level", "all", replica.toString());
        assertThat(list.code()).as(list.toString()).isZero();
        JsonNode files = new ObjectMapper().readTree(list.out());
        assertThat(files).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(files.get(i).get("level").asInt()).isZero();
            assertThat(files.get(i).get("max_txid").asText()).isEqualTo("%016x".formatted(i + 1));
            assertThat(files.get(i).get("size").asLong()).isPositive();
            assertThat(Instant.parse(files.get(i).get("created").asText())).isBefore(after.get(i));
        }
        CliProcess.Result table = CliProcess.run(dir, "ltx", replica.toString());
        assertThat(table.out().lines().toList()).hasSize(4).first().asString().startsWith("level  min_txid");

        for (int i = 0; i < 3; i++) {
            Path out = dir.resolve("at-" + i + ".db");
            CliProcess.Result r = CliProcess.run(dir, "restore", "-timestamp", after.get(i).toString(), "-parallelism", i == 0 ? "1" : "8",
                    "-integrity-check", "quick", "-o", out.toString(), replica.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("TXID %016x".formatted(i + 1));
            assertThat(TestDb.digest(out)).as("state as of round %d", i).isEqualTo(digests.get(i));
        }

        CliProcess.Result snap = CliProcess.run(dir, "replicate", "-once", "-force-snapshot", db.toString(), replica.toString());
        assertThat(snap.code()).as(snap.toString()).isZero();
        CliProcess.Result dry = CliProcess.run(dir, "restore", "-dry-run", "-o", dir.resolve("dry.db").toString(), replica.toString());
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("to TXID 0000000000000003 would apply 1 files")
                .containsPattern("(?m)^9 +0000000000000001  0000000000000003 ");
        assertThat(dir.resolve("dry.db")).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("dry.db"));
        }
        CliProcess.Result viaTxid = CliProcess.run(dir, "restore", "-dry-run", "-txid", "0000000000000002", "-o", dir.resolve("dry.db").toString(),
                replica.toString());
        assertThat(viaTxid.out()).as(viaTxid.toString()).contains("to TXID 0000000000000002 would apply 2 files");
    }

    @Test
    void pointInTimeErrors() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path replica = dir.resolve("replica");
        assertThat(CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString()).code()).isZero();
        String out = dir.resolve("out.db").toString();

        CliProcess.Result early = CliProcess.run(dir, "restore", "-timestamp", "2001-01-01T00:00:00Z", "-o", out, replica.toString());
        assertThat(early.code()).isEqualTo(1);
        assertThat(early.err()).contains("no restorable state at 2001-01-01T00:00:00Z").contains("the replica covers");

        CliProcess.Result both = CliProcess.run(dir, "restore", "-timestamp", "2001-01-01T00:00:00Z", "-txid", "0000000000000001", "-o", out,
                replica.toString());
        assertThat(both.err()).contains("cannot use -txid and -timestamp together");

        CliProcess.Result badTime = CliProcess.run(dir, "restore", "-timestamp", "yesterday", "-o", out, replica.toString());
        assertThat(badTime.err()).contains("invalid -timestamp \"yesterday\": want RFC 3339");

        CliProcess.Result badParallel = CliProcess.run(dir, "restore", "-parallelism", "0", "-o", out, replica.toString());
        assertThat(badParallel.err()).contains("invalid -parallelism 0");

        CliProcess.Result badLevel = CliProcess.run(dir, "ltx", "-level", "10", replica.toString());
        assertThat(badLevel.code()).isEqualTo(1);
        assertThat(badLevel.err()).contains("invalid -level \"10\": want 0 to 9 or all");

        CliProcess.Result snapshotWithoutOnce = CliProcess.run(dir, "replicate", "-force-snapshot", db.toString(), replica.toString());
        assertThat(snapshotWithoutOnce.err()).contains("-force-snapshot and -enforce-retention need -once");
        assertThat(Files.exists(Path.of(out))).isFalse();
    }
}
