package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.CompactionSettings;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ReplicaLease;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many databases started at once ({@link Replication#start}), each under its replica's lease. */
class ReplicationStartTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void manyDatabasesStartTogetherAndAFailureClosesEveryOneOfThem() throws Exception {
        Path dbs = Files.createDirectories(dir.resolve("dbs"));
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            paths.add(TestDb.create(dbs, "db%02d.db".formatted(i), 4096, 5));
        }
        Path missing = dbs.resolve("missing.db");

        List<Replication.Target> withMissing = targets(paths);
        withMissing.add(17, target(missing));
        assertThatThrownBy(() -> Replication.start(withMissing, CompactionSettings.defaults(), Clock.systemUTC(), ReplicationEvents.NONE,
                ReplicaLease.DEFAULT_TTL)).hasMessageContaining(missing.toAbsolutePath().toString()).hasMessageContaining("does not exist");
        assertThat(missing).as("not created").doesNotExist();

        // Every database started before the failure was closed and its lease released: all start again.
        try (Replication replication = Replication.start(targets(paths), CompactionSettings.defaults(), Clock.systemUTC(), ReplicationEvents.NONE,
                ReplicaLease.DEFAULT_TTL)) {
            assertThat(replication.replicators()).extracting(r -> r.database().path())
                    .containsExactlyInAnyOrderElementsOf(paths.stream().map(p -> p.toAbsolutePath().normalize()).toList());
            for (Path p : paths) {
                assertThat(dir.resolve("replicas").resolve(p.getFileName().toString()).resolve("ltx/0")).as("first upload of %s", p)
                        .isNotEmptyDirectory();
            }
            assertThat(replication.stop(Duration.ofSeconds(60))).as("caught up at stop").isTrue();
        }
    }

    @Test
    @Timeout(180)
    void aDatabaseLeftToTheWatchDoesNotStopTheOthers() throws Exception {
        Path dbs = Files.createDirectories(dir.resolve("dbs"));
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            paths.add(TestDb.create(dbs, "db%d.db".formatted(i), 4096, 5));
        }
        Path blocked = paths.get(2);
        // A regular file where its replica's directory should be: its first upload fails.
        Files.createDirectories(dir.resolve("replicas"));
        Files.writeString(dir.resolve("replicas").resolve(blocked.getFileName().toString()), "in the way");

        assertThatThrownBy(() -> Replication.start(targets(paths), CompactionSettings.defaults(), Clock.systemUTC(), ReplicationEvents.NONE,
                ReplicaLease.DEFAULT_TTL)).as("outside a watched directory, one failure fails the start").isInstanceOf(java.io.IOException.class);

        Path blockedAbsolute = blocked.toAbsolutePath().normalize();
        try (Replication replication = Replication.start(targets(paths), db -> db.equals(blocked), CompactionSettings.defaults(),
                Clock.systemUTC(), ReplicationEvents.NONE, ReplicaLease.DEFAULT_TTL)) {
            assertThat(replication.replicators()).extracting(r -> r.database().path())
                    .containsExactlyInAnyOrderElementsOf(paths.stream().filter(p -> !p.equals(blocked)).map(p -> p.toAbsolutePath().normalize()).toList());
            assertThat(replication.notStarted()).containsExactly(blockedAbsolute);

            Files.delete(dir.resolve("replicas").resolve(blocked.getFileName().toString()));
            replication.add(target(blocked)); // what the watch does at its next look
            assertThat(replication.replicators()).extracting(r -> r.database().path()).contains(blockedAbsolute);
            assertThat(replication.stop(Duration.ofSeconds(60))).as("caught up at stop").isTrue();
        }
        assertThat(dir.resolve("replicas").resolve(blocked.getFileName().toString()).resolve("ltx/0")).isNotEmptyDirectory();
    }

    private List<Replication.Target> targets(List<Path> paths) {
        List<Replication.Target> targets = new ArrayList<>();
        for (Path p : paths) {
            targets.add(target(p));
        }
        return targets;
    }

    private Replication.Target target(Path db) {
        return new Replication.Target(db, DatabaseOptions.defaults(), List.of(new DatabaseReplicator.Destination(
                new FileReplicaClient(dir.resolve("replicas").resolve(db.getFileName().toString())), Duration.ZERO)));
    }
}
