package io.litestream4j.core.restore;

import io.litestream4j.NoBackupException;
import io.litestream4j.Restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.litestream4j.core.replica.AgeKeys;
import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.AgeTestKeys;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.LegacyLayout;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restoring the real Litestream 0.3.13 replica in the shared fixtures, plain and age-encrypted. */
@Timeout(120) // a restore of a 56-page database: seconds even on a loaded machine
class Litestream03RestoreTest {
    @TempDir
    Path dir;

    private static RestoreOptions to(Path out) {
        return new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false);
    }

    @Test
    void theFixtureIsIntactAndRestoresToExactlyWhatExpectedJsonSays() throws Exception {
        Path fixture = Litestream03Expected.fixture();
        for (JsonNode f : Litestream03Expected.expected().get("files")) {
            byte[] bytes = Files.readAllBytes(fixture.resolve(f.get("path").asText()));
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).as(f.get("path").asText())
                    .isEqualTo(f.get("sha256").asText());
        }
        FileReplicaClient client = new FileReplicaClient(fixture.resolve("replica"));
        assertThatThrownBy(() -> RestorePlanner.plan(client, OptionalLong.empty())).isInstanceOf(RestorePlanner.LegacyBackupException.class);
        Litestream03Plan plan = Litestream03Plan.plan(client.location(), client.listLegacyFiles(), null);
        assertThat(plan.generation()).isEqualTo("58c1eaef05e3eb30");
        assertThat(plan.wal().keySet()).containsExactly(0, 1, 2);
        assertThat(plan.files()).hasSize(10);
        Path out = dir.resolve("restored.db");
        Litestream03Restorer.Result r = Litestream03Restorer.restore(client, client.location(), plan, to(out));
        assertThat(r.lastWalIndex()).isEqualTo(2);
        Litestream03Expected.assertMatches(out);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("restored.db");
        }
    }

    /** The library's {@code Restore}, by URL, with no CLI: it finds the 0.3 backup by itself. */
    @Test
    void theLibraryRestoresA03ReplicaByUrlLatestAndByTime() throws Exception {
        Path copy = dir.resolve("copy");
        copyTree(Litestream03Expected.fixture().resolve("replica"), copy);
        Restore.Result r = Restore.from(copy.toUri().toString()).integrityCheck(Restore.IntegrityCheck.FULL).into(dir.resolve("latest.db"));
        assertThat(r.txid()).as("0.3 has no TXIDs").isZero();
        assertThat(r.files()).isEqualTo(10);
        Litestream03Expected.assertMatches(dir.resolve("latest.db"));
        Restore.from(copy.toUri().toString()).toTime(Instant.now()).into(dir.resolve("now.db"));
        Litestream03Expected.assertMatches(dir.resolve("now.db"));
        assertThatThrownBy(() -> Restore.from(copy.toUri().toString()).toTxid(1).into(dir.resolve("txid.db")))
                .hasMessageContaining("Litestream 0.3").hasMessageContaining("no TXIDs");
        assertThat(dir.resolve("txid.db")).doesNotExist();
    }

    /** 0.3.13's age block: plaintext, LZ4 frame, age, under the same names. */
    @Test
    void anAgeEncryptedCopyRestoresTheSameAndAWrongKeyNamesTheFile() throws Exception {
        Path fixture = Litestream03Expected.fixture().resolve("replica");
        Path copy = dir.resolve("encrypted");
        var cipher = new AgeReplicaClient(new FileReplicaClient(copy), new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT)));
        try (var walk = Files.walk(fixture)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                Path target = copy.resolve(fixture.relativize(p).toString());
                Files.createDirectories(target.getParent());
                try (InputStream in = cipher.cipher().encrypt(Files.newInputStream(p), p.toString())) {
                    Files.write(target, in.readAllBytes());
                }
            }
        }
        Path out = dir.resolve("restored.db");
        Litestream03Plan plan = Litestream03Plan.plan(cipher.location(), cipher.listLegacyFiles(), null);
        Litestream03Restorer.restore(cipher, cipher.location(), plan, to(out));
        Litestream03Expected.assertMatches(out);

        var wrong = new AgeReplicaClient(new FileReplicaClient(copy), new AgeKeys(List.of(AgeTestKeys.OTHER_IDENTITY), List.of()));
        assertThatThrownBy(() -> Litestream03Restorer.restore(wrong, wrong.location(), plan, to(dir.resolve("wrong.db"))))
                .hasMessageContaining("generations/58c1eaef05e3eb30/snapshots/00000000.snapshot.lz4").hasMessageContaining("wrong key");
        FileReplicaClient plain = new FileReplicaClient(copy);
        assertThatThrownBy(() -> Litestream03Restorer.restore(plain, plain.location(), plan, to(dir.resolve("plain.db"))))
                .hasMessageContaining("00000000.snapshot.lz4");
        assertThat(dir.resolve("wrong.db")).doesNotExist();
        assertThat(dir.resolve("plain.db")).doesNotExist();
    }

    @Test
    void byTimestampOnlyFilesWrittenByThenCountAndAGapIsNamed() throws Exception {
        Path fixture = Litestream03Expected.fixture().resolve("replica");
        Path copy = dir.resolve("copy");
        copyTree(fixture, copy);
        FileReplicaClient client = new FileReplicaClient(copy);
        // Times as a replicator would have left them: the snapshot, then each segment a minute later.
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<LegacyLayout.LegacyFile> files = client.listLegacyFiles().stream().sorted(java.util.Comparator.comparing(LegacyLayout.LegacyFile::path)).toList();
        for (int i = 0; i < files.size(); i++) {
            Files.setLastModifiedTime(copy.resolve(files.get(i).path()), FileTime.from(t0.plusSeconds(60L * i)));
        }
        // Before index 2's segments: the state after WAL index 1, a consistent database.
        Litestream03Plan earlier = Litestream03Plan.plan(client.location(), client.listLegacyFiles(), t0.plusSeconds(60L * 6 + 30));
        assertThat(earlier.wal().keySet()).containsExactly(0, 1);
        Litestream03Restorer.restore(client, client.location(), earlier, to(dir.resolve("earlier.db")));
        Litestream03Plan latest = Litestream03Plan.plan(client.location(), client.listLegacyFiles(), t0.plusSeconds(3600));
        Litestream03Restorer.restore(client, client.location(), latest, to(dir.resolve("latest.db")));
        Litestream03Expected.assertMatches(dir.resolve("latest.db"));
        assertThatThrownBy(() -> Litestream03Plan.plan(client.location(), client.listLegacyFiles(), t0.minusSeconds(1)))
                .isInstanceOf(NoBackupException.class).hasMessageContaining("at or before");

        Files.delete(copy.resolve("generations/58c1eaef05e3eb30/wal/00000001_00001038.wal.lz4"));
        Litestream03Plan gap = Litestream03Plan.plan(client.location(), client.listLegacyFiles(), null);
        assertThatThrownBy(() -> Litestream03Restorer.restore(client, client.location(), gap, to(dir.resolve("gap.db"))))
                .hasMessageContaining("00000001_00023368.wal.lz4").hasMessageContaining("a segment is missing");
        assertThat(dir.resolve("gap.db")).doesNotExist();
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                Files.createDirectories(target.getParent());
                Files.copy(p, target);
                target.toFile().setWritable(true);
            }
        }
    }
}
