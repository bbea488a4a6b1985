package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.replica.FileReplicaClient;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore writes long runs of pages with O_DIRECT only for databases of at least a given size,
 * through the page cache below it: both ways must give the same, verified file, and the size rule
 * must pick the way it says.
 */
class DirectWritesTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void directAndPageCacheWritesGiveTheSameVerifiedDatabase() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        Path replica = dir.resolve("replica");
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        long size;
        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 600, 4000); // about 2.5 MiB of consecutive pages: runs long enough for direct writes
            r.syncOnce();
            TestDb.insert(c, 20, 100); // and a small file on top, written through the page cache either way
            r.syncOnce();
            size = TestDb.queryLong(c, "PRAGMA page_count") * 4096;
        } finally {
            r.stop(Duration.ofSeconds(30));
            r.close();
        }
        assumeTrue(directIoWorksIn(dir), "the file system of " + dir + " refuses O_DIRECT");
        String want = TestDb.digest(db);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
            assertThat(plan.files()).as("planned files").hasSizeGreaterThanOrEqualTo(2);

            PlanApplier.Applied always = apply(client, plan, "always.db", 0);
            PlanApplier.Applied atTheSize = apply(client, plan, "at-size.db", size);
            PlanApplier.Applied aboveTheSize = apply(client, plan, "above-size.db", size + 1);
            PlanApplier.Applied never = apply(client, plan, "never.db", -1);
            PlanApplier.Applied writtenBack = apply(client, plan, "written-back.db", new OutputWriting(-1, 0, 64 * 1024));

            assertThat(always.directBytes()).as("direct bytes, threshold 0").isGreaterThanOrEqualTo(1 << 20);
            assertThat(atTheSize.directBytes()).as("direct bytes, threshold the database's size").isGreaterThanOrEqualTo(1 << 20);
            assertThat(aboveTheSize.directBytes()).as("direct bytes, threshold one byte above the size").isZero();
            assertThat(never.directBytes()).as("direct bytes, never").isZero();
            assertThat(writtenBack.directBytes()).as("direct bytes, never, with early writeback").isZero();
            for (PlanApplier.Applied a : List.of(always, atTheSize, aboveTheSize, never, writtenBack)) {
                assertThat(a.checksum()).as("database checksum").isEqualTo(a.postApply()).isNotZero();
            }
            for (String name : List.of("at-size.db", "above-size.db", "never.db", "written-back.db")) {
                assertThat(Files.mismatch(dir.resolve("always.db"), dir.resolve(name))).as(name + " against always.db").isEqualTo(-1);
            }

            // End to end, as a restore runs it: fsynced, renamed, the same rows as the source.
            for (OutputWriting writing : List.of(new OutputWriting(0, -1, 64 * 1024), new OutputWriting(-1, -1, 64 * 1024),
                    new OutputWriting(-1, 0, 64 * 1024))) {
                Path out = dir.resolve("restored-" + writing.directMinBytes() + "-" + writing.writebackMinBytes() + ".db");
                RestoreOptions options = new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false);
                Restorer.Result result = Restorer.restore(client, plan, options, 2, PlanApplier.Split.DEFAULT, writing);
                assertThat(result.checksumVerified()).isTrue();
                assertThat(TestDb.digest(out)).as("rows restored with " + writing).isEqualTo(want);
                assertThat(out.resolveSibling(out.getFileName() + ".tmp")).doesNotExist();
            }
        }
    }

    private PlanApplier.Applied apply(FileReplicaClient client, RestorePlan plan, String name, long directMinBytes) throws IOException {
        return apply(client, plan, name, new OutputWriting(directMinBytes, -1, 64 * 1024));
    }

    private PlanApplier.Applied apply(FileReplicaClient client, RestorePlan plan, String name, OutputWriting writing) throws IOException {
        Path out = dir.resolve(name);
        try (Prefetcher prefetcher = new Prefetcher(client, 2, Files.createDirectories(dir.resolve(name + ".download")));
                FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return PlanApplier.apply(client, plan.files(), prefetcher, out, channel, 2, 2, PlanApplier.Split.DEFAULT, writing);
        }
    }

    /** A write error may be reported only to the early flush (once per open file): it must fail the restore. */
    @Test
    @Timeout(30)
    void aFailedEarlyFlushFailsTheRestore() throws Exception {
        FileChannel closed = FileChannel.open(dir.resolve("out.db"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        closed.close(); // its force() throws, as a flush after a failed writeback would
        try (EarlyWriteback writeback = new EarlyWriteback(closed, 1024)) {
            writeback.wrote(1000);
            writeback.finish(); // below the first 1 KiB: no flush yet, nothing to report
            writeback.wrote(1000);
            assertThatThrownBy(writeback::finish).isInstanceOf(IOException.class).hasMessageContaining("writing the restore's output back");
        }
    }

    private static boolean directIoWorksIn(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, "direct", ".probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            Files.delete(probe);
        }
    }
}
