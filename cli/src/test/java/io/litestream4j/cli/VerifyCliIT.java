package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify} on a healthy replica, then on one with a corrupted file and one with a file missing. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class VerifyCliIT {
    @TempDir
    Path dir;

    private Path replicaWithFourSyncs() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 50);
        Path replica = dir.resolve("replica");
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                try (Connection c = TestDb.open(db)) {
                    TestDb.insert(c, 20, 300);
                }
            }
            CliProcess.Result once = CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString());
            assertThat(once.code()).as(once.toString()).isZero();
        }
        return replica;
    }

    private static List<Path> levelZero(Path replica) throws Exception {
        try (Stream<Path> s = Files.list(replica.resolve("ltx").resolve("0"))) {
            return s.filter(p -> p.toString().endsWith(".ltx")).sorted().toList();
        }
    }

    @Test
    void aHealthyReplicaPassesAndACorruptedOneFailsNamingTheFile() throws Exception {
        Path replica = replicaWithFourSyncs();
        List<Path> files = levelZero(replica);
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);

        CliProcess.Result ok = CliProcess.run(dir, "verify", replica.toString());
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(ok.out()).contains("files: " + files.size() + " (").contains("restore drill newest: ok, TXID ")
                .contains("restore drill oldest: ok, TXID 0000000000000001").endsWith("ok\n");
        CliProcess.Result json = CliProcess.run(dir, "verify", "-json", replica.toString());
        assertThat(json.code()).as(json.toString()).isZero();
        assertThat(json.out()).contains("\"problems\": []").contains("\"name\": \"newest\"").contains("\"name\": \"oldest\"");

        // One byte flipped in the middle of the newest file's pages.
        Path victim = files.getLast();
        byte[] bytes = Files.readAllBytes(victim);
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(victim, bytes);
        CliProcess.Result bad = CliProcess.run(dir, "verify", replica.toString());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(1);
        assertThat(bad.out()).contains("problem (checksum): ltx file 0/" + victim.getFileName())
                .contains("restore drill newest: FAILED").endsWith("problem(s)\n");
        CliProcess.Result badJson = CliProcess.run(dir, "verify", "-json", replica.toString());
        assertThat(badJson.code()).isEqualTo(1);
        assertThat(badJson.out()).contains("\"kind\": \"checksum\"").contains("\"file\": \"0/" + victim.getFileName() + "\"");
    }

    @Test
    void aMissingFileIsAGapInItsLevel() throws Exception {
        Path replica = replicaWithFourSyncs();
        List<Path> files = levelZero(replica);
        Path middle = files.get(1);
        Files.delete(middle);
        CliProcess.Result bad = CliProcess.run(dir, "verify", replica.toString());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(1);
        assertThat(bad.out()).contains("problem (gap): level 0: TXIDs ").contains("missing between " + files.getFirst().getFileName())
                .contains("restore drill newest: FAILED");
    }
}
