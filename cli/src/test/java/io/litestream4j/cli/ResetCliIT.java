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

/** {@code reset}: the local state goes, the database and the replica stay, and the next sync continues the replica. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ResetCliIT {
    @TempDir
    Path dir;

    private static List<Path> files(Path root) throws Exception {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void resetDeletesOnlyTheLocalStateAndTheNextSyncContinuesTheReplica() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path replica = dir.resolve("replica");
        Path ltx = dir.resolve(".app.db-litestream").resolve("ltx");
        CliProcess.Result once = CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString());
        assertThat(once.code()).as(once.toString()).isZero();
        List<Path> before = files(ltx);
        String digest = TestDb.digest(db);

        CliProcess.Result dry = CliProcess.run(dir, "reset", "-dry-run", db.toString());
        assertThat(dry.code()).as(dry.toString()).isZero();
        assertThat(dry.out()).startsWith("Dry run: local Litestream state would be reset for: %s\nWould remove: %s\n".formatted(db, ltx));
        if (before.isEmpty()) {
            assertThat(dry.out()).endsWith("No local LTX files would be removed.\n");
        } else {
            assertThat(dry.out()).contains("Files that would be removed:\n  " + before.getFirst()).endsWith("No files were removed.\n");
        }
        assertThat(files(ltx)).as("a dry run deletes nothing").isEqualTo(before);

        CliProcess.Result reset = CliProcess.run(dir, "reset", db.toString());
        assertThat(reset.code()).as(reset.toString()).isZero();
        assertThat(reset.out()).isEqualTo("Resetting local Litestream state for: %s\nRemoving: %s\nReset complete. Next replication sync will create a fresh snapshot.\n"
                .formatted(db, ltx));
        assertThat(ltx).doesNotExist();
        assertThat(TestDb.digest(db)).as("the database is not touched").isEqualTo(digest);
        assertThat(files(replica)).as("the replica is not touched").isNotEmpty();

        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 30, 100);
        }
        CliProcess.Result again = CliProcess.run(dir, "replicate", "-once", db.toString(), replica.toString());
        assertThat(again.code()).as(again.toString()).isZero();
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", dir.resolve("out.db").toString(), replica.toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("out.db"))).isEqualTo(TestDb.digest(db));

        CliProcess.Result nothing = CliProcess.run(dir, "reset", TestDb.create(dir, "fresh.db", 4096, 1).toString());
        assertThat(nothing.code()).as(nothing.toString()).isZero();
        assertThat(nothing.out()).isEqualTo("No local state to reset for %s\nMeta directory does not exist: %s\n"
                .formatted(dir.resolve("fresh.db"), dir.resolve(".fresh.db-litestream")));
        CliProcess.Result missing = CliProcess.run(dir, "reset", dir.resolve("none.db").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("Error: database does not exist: " + dir.resolve("none.db"));
    }
}
