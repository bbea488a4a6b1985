package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Replicator;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A level check turns a replica's health red and counts while a file is missing, and clears once it is back. */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class LevelValidationTest {
    @TempDir
    Path dir;

    @Test
    void aGapTurnsHealthRedAndIsCountedUntilTheLevelIsWholeAgain() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        try (Replicator r = Replicator.builder(db).replica(replica.toString()).syncInterval(Duration.ZERO).start();
                Connection c = TestDb.open(db)) {
            for (int i = 0; i < 3; i++) {
                TestDb.insert(c, 5, 100);
                r.awaitReplicated(Duration.ofSeconds(60));
            }
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(replica.resolve("ltx").resolve("0"))) {
            files = s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        ReplicaHealth health = new ReplicaHealth();
        List<String> counted = new ArrayList<>();
        LevelValidation.Check check = new LevelValidation.Check(LevelValidation.VALIDATION, 0, 3, Duration.ofHours(1));
        try (FileReplicaClient client = new FileReplicaClient(replica);
                LevelValidation v = new LevelValidation(() -> List.of(new LevelValidation.Checked(db, client, health)),
                        (d, key) -> counted.add(d + " " + key), List.of(check))) {
            assertThat(v.runOnce(check)).isZero();
            assertThat(health.summary()).isNull();

            Path middle = files.get(1);
            byte[] saved = Files.readAllBytes(middle);
            Files.delete(middle);
            assertThat(v.runOnce(check)).isEqualTo(1);
            assertThat(health.problem("validation")).contains("level 0: TXIDs ").contains("missing between " + files.getFirst().getFileName());
            assertThat(counted).containsExactly(db + " validation");

            Files.write(middle, saved);
            assertThat(v.runOnce(check)).isZero();
            assertThat(health.summary()).as("cleared once whole again").isNull();
            assertThat(counted).hasSize(1);
        }
    }
}
