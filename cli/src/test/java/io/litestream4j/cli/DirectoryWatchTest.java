package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.DirectoryConfig;
import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.core.TestDb;
import io.litestream4j.CompactionSettings;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DirectoryWatchTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aDatabaseStartingDuringShutdownIsWaitedForAndGetsItsFinalSync() throws Exception {
        Path watched = Files.createDirectories(dir.resolve("dbs"));
        Path replica = dir.resolve("replica");
        Path db = TestDb.create(watched, "new.db", 4096, 10);
        DirectoryConfig config = new DirectoryConfig(watched, "*.db", false, true,
                new DatabaseConfig(watched, DatabaseOptions.defaults(), false, List.of(), "test: "));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        DirectoryWatch.TargetMaker slowStart = found -> {
            entered.countDown();
            // A start in flight (opening a slow replica, say) when the shutdown begins.
            boolean released = false;
            while (!released) {
                try {
                    released = release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted.set(true);
                }
            }
            return new Replication.Target(found.path(), found.options(),
                    List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)));
        };
        try (Replication replication = Replication.start(List.of(), CompactionSettings.defaults(), Clock.systemUTC(), ReplicationEvents.NONE)) {
            DirectoryWatch watch = new DirectoryWatch(List.of(config), replication, slowStart);
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the watch found the database").isTrue();
            Thread closer = Thread.ofPlatform().start(watch::close);
            for (int i = 0; i < 1000 && closer.getState() == Thread.State.RUNNABLE; i++) {
                Thread.sleep(10); // until close() waits (the fix) or has returned (the bug)
            }
            release.countDown();
            closer.join(TimeUnit.SECONDS.toMillis(90));
            assertThat(closer.isAlive()).as("close returned").isFalse();
            assertThat(interrupted).as("the start in flight was interrupted").isFalse();
            assertThat(replication.replicators()).as("replicated when close returned").extracting(r -> r.database().path())
                    .containsExactly(db.toAbsolutePath().normalize());

            try (Connection c = TestDb.open(db)) {
                TestDb.exec(c, "INSERT INTO t (v) VALUES (x'2a')");
            }
            assertThat(replication.stop(Duration.ofSeconds(30))).as("caught up at stop").isTrue();
        }
        Path out = dir.resolve("restored.db");
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            Restorer.restore(client, RestorePlanner.plan(client, OptionalLong.empty()),
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
        }
        assertThat(TestDb.digest(out)).as("the row written before the stop is in the replica").isEqualTo(TestDb.digest(db));
    }

    @Test
    @Timeout(120)
    void databasesStoppedOrUnregisteredThroughTheControlSocketAreLeftAloneByTheWatch() throws Exception {
        Path watched = Files.createDirectories(dir.resolve("dbs"));
        Path a = TestDb.create(watched, "a.db", 4096, 10).toAbsolutePath().normalize();
        DirectoryConfig config = new DirectoryConfig(watched, "*.db", false, true,
                new DatabaseConfig(watched, DatabaseOptions.defaults(), false, List.of(), "test: "));
        DirectoryWatch.TargetMaker targets = found -> new Replication.Target(found.path(), found.options(), List.of(
                new DatabaseReplicator.Destination(new FileReplicaClient(dir.resolve("replicas").resolve(found.path().getFileName().toString())),
                        Duration.ZERO)));
        try (Replication replication = Replication.start(List.of(targets.make(config.database(a))), CompactionSettings.defaults(), Clock.systemUTC(),
                ReplicationEvents.NONE); DirectoryWatch watch = new DirectoryWatch(List.of(config), replication, targets)) {
            replication.stopOne(replication.find(a).orElseThrow(), Duration.ofSeconds(30));

            Path b = TestDb.create(watched, "b.db", 4096, 10).toAbsolutePath().normalize();
            for (int i = 0; i < 600 && replication.find(b).isEmpty(); i++) {
                Thread.sleep(50); // the watch looks every second
            }
            assertThat(replication.find(b)).as("a new database is picked up").isPresent();
            Thread.sleep(2 * DirectoryWatch.INTERVAL.toMillis()); // two more looks, each with the stopped database in the listing
            assertThat(replication.find(a)).as("the stopped database is not started again by the watch").isEmpty();
            assertThat(replication.stopped()).containsKey(a);

            replication.stopOne(replication.find(b).orElseThrow(), Duration.ofSeconds(30));
            replication.forget(b); // unregistered
            Thread.sleep(2 * DirectoryWatch.INTERVAL.toMillis());
            assertThat(replication.find(b)).as("the unregistered database is not registered again by the watch").isEmpty();

            for (String suffix : new String[] {"", "-wal", "-shm"}) {
                Files.deleteIfExists(Path.of(b + suffix));
            }
            Thread.sleep(2 * DirectoryWatch.INTERVAL.toMillis()); // a look sees it gone
            TestDb.create(watched, "b.db", 4096, 3); // a new database at the unregistered one's path
            for (int i = 0; i < 600 && replication.find(b).isEmpty(); i++) {
                Thread.sleep(50);
            }
            assertThat(replication.find(b)).as("a new file at an unregistered path is a new database").isPresent();
        }
    }
}
