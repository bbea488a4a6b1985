package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restores from replicas that misbehave: they end with an error naming the file, never hang or leave files behind. */
class RestoreFailuresTest {
    @TempDir
    Path dir;

    /** A file replica of a real database with at least {@code minFiles} L0 files. */
    static Path replicate(Path dir, int minFiles) throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        try (Connection c = TestDb.open(db); FileReplicaClient check = new FileReplicaClient(replica)) {
            for (int i = 0; i < 50 && check.listFiles(0, 0).size() < minFiles; i++) {
                TestDb.insert(c, 5, 100);
                r.syncOnce();
                r.stop(Duration.ofSeconds(30)); // uploads what was synced: one more L0 file per round
                r.close();
                r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                        List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
            }
            assertThat(check.listFiles(0, 0)).as("L0 files made").hasSizeGreaterThanOrEqualTo(minFiles);
        } finally {
            r.close();
        }
        return replica;
    }

    @Test
    @Timeout(120)
    void aFileListedButUnreadableFailsTheRestoreNamingIt() throws Exception {
        Path replica = replicate(dir, 3);
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            LtxFileInfo unreadable = files.listFiles(0, 0).get(1);
            ForwardingClient client = new ForwardingClient(files) {
                @Override
                public InputStream open(int level, TxidRange range) throws IOException {
                    if (level == unreadable.level() && range.equals(unreadable.range())) {
                        throw new NoSuchFileException(range.fileName(), null, "listed, but the store answers 404");
                    }
                    return super.open(level, range);
                }
            };
            RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
            RestoreOptions options = new RestoreOptions(dir.resolve("out.db"), OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false);
            // Before the fix every re-plan chose the same file again: the restore never ended.
            assertThatThrownBy(() -> Restorer.restore(client, plan, options, 2))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("level 0 file " + unreadable.fileName())
                    .hasMessageContaining("listed but cannot be read");
            assertThat(dir.resolve("out.db")).doesNotExist();
            assertThat(dir.resolve("out.db.download")).doesNotExist();
        }
    }

    @Test
    @Timeout(120)
    void aTruncatedFileFailsTheRestoreSayingSoInPlaceAndDownloaded() throws Exception {
        Path replica = replicate(dir, 3);
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            LtxFileInfo cut = files.listFiles(0, 0).get(1);
            Path path = files.localPath(cut.level(), cut.range());
            byte[] original = Files.readAllBytes(path);
            Files.write(path, java.util.Arrays.copyOf(original, original.length / 2));
            // In place, the page index is read from the file's end first: the error must still say "truncated".
            for (var client : List.of(files, new ForwardingClient(files))) {
                RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
                RestoreOptions options = new RestoreOptions(dir.resolve("out.db"), OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false);
                assertThatThrownBy(() -> Restorer.restore(client, plan, options, 2))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining(cut.fileName())
                        .hasMessageContaining("truncated");
                assertThat(dir.resolve("out.db")).doesNotExist();
                assertThat(dir.resolve("out.db.tmp")).doesNotExist();
            }
        }
    }

    @Test
    @Timeout(120)
    void aDownloadThatFailsTwiceIsTriedAgainAndAThirdFailureEndsIt() throws Exception {
        Path replica = replicate(dir, 2);
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            List<LtxFileInfo> plan = files.listFiles(0, 0);
            java.util.concurrent.atomic.AtomicInteger failuresLeft = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
            ForwardingClient client = new ForwardingClient(files) {
                @Override
                public InputStream open(int level, TxidRange range) throws IOException {
                    opens.incrementAndGet();
                    if (failuresLeft.getAndDecrement() > 0) {
                        throw new java.net.SocketException("Connection reset");
                    }
                    return super.open(level, range);
                }
            };
            try (Prefetcher prefetcher = new Prefetcher(client, 1, downloads)) {
                prefetcher.reset(plan.subList(0, 1));
                failuresLeft.set(Prefetcher.DOWNLOAD_ATTEMPTS - 1);
                try (InputStream in = prefetcher.open(0)) {
                    assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(replica.resolve("ltx/0/" + plan.getFirst().fileName())));
                }
                assertThat(opens.get()).as("opens for one file that failed twice").isEqualTo(Prefetcher.DOWNLOAD_ATTEMPTS);

                prefetcher.reset(plan.subList(1, 2));
                failuresLeft.set(Prefetcher.DOWNLOAD_ATTEMPTS);
                opens.set(0);
                assertThatThrownBy(() -> prefetcher.open(0)).isInstanceOf(java.net.SocketException.class).hasMessage("Connection reset");
                assertThat(opens.get()).as("opens before giving up").isEqualTo(Prefetcher.DOWNLOAD_ATTEMPTS);
            }
        }
    }

    @Test
    @Timeout(120)
    void closeAwaitsALateDownloadAndRemovesItsFile() throws Exception {
        Path replica = replicate(dir, 2);
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            List<LtxFileInfo> plan = files.listFiles(0, 0);
            LtxFileInfo slow = plan.get(1);
            ForwardingClient client = new ForwardingClient(files) {
                @Override
                public InputStream open(int level, TxidRange range) throws IOException {
                    if (!range.equals(slow.range())) {
                        return super.open(level, range);
                    }
                    entered.countDown();
                    awaitIgnoringInterrupts(release); // a request that does not notice the interrupt
                    return new FilterInputStream(super.open(level, range)) {
                        @Override
                        public void close() throws IOException {
                            super.close();
                            finished.countDown();
                        }
                    };
                }
            };
            Prefetcher prefetcher = new Prefetcher(client, 2, downloads);
            prefetcher.reset(plan);
            prefetcher.open(0).close(); // starts the downloads of files 0 and 1
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("second download started").isTrue();

            Thread closer = Thread.ofPlatform().start(prefetcher::close);
            // Either close returned (the bug) or it waits for the download (the fix).
            for (int i = 0; i < 3000 && closer.getState() == Thread.State.RUNNABLE; i++) {
                Thread.sleep(10);
            }
            release.countDown();
            closer.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(closer.isAlive()).as("close returned").isFalse();
            assertThat(finished.await(30, TimeUnit.SECONDS)).as("late download ended").isTrue();
            try (Stream<Path> left = Files.list(downloads)) {
                assertThat(left.toList()).as("files left in the download folder after close").isEmpty();
            }
        }
    }

    private static void awaitIgnoringInterrupts(CountDownLatch latch) {
        boolean waited = false;
        while (!waited) {
            try {
                waited = latch.await(60, TimeUnit.SECONDS);
                if (!waited) {
                    throw new AssertionError("never released");
                }
            } catch (InterruptedException ignored) {
                // keep waiting, as a blocking socket read does
            }
        }
    }
}
