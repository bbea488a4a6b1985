package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's (default) policy of {@link DatabaseFiles}: one descriptor per file, shared, kept
 * when unused while the file is at its path (reused by the next open), closed once it is not.
 * The locks it protects are checked with real SQLite in {@link ApplicationLocksTest}.
 */
class DatabaseFilesTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void oneDescriptorPerFileSharedAndReusedAfterTheLastUserLetsGo() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 1);
        Path b = TestDb.create(dir, "b.db", 4096, 1);
        FileChannel first;
        try (DatabaseFiles.Handle h1 = DatabaseFiles.open(a); DatabaseFiles.Handle h2 = DatabaseFiles.open(dir.resolve("./a.db"))) {
            first = h1.channel();
            assertThat(h2.channel()).as("the same file by another path: one descriptor").isSameAs(first);
            try (DatabaseFiles.Handle other = DatabaseFiles.open(b)) {
                assertThat(other.channel()).isNotSameAs(first);
            }
        }
        assertThat(first.isOpen()).as("parked, not closed: the application may hold SQLite locks on the file").isTrue();
        DatabaseFiles.sweep();
        assertThat(first.isOpen()).as("still at its path: kept by a sweep").isTrue();
        int open = DatabaseFiles.openCount();
        for (int i = 0; i < 5; i++) {
            try (DatabaseFiles.Handle again = DatabaseFiles.open(a)) {
                assertThat(again.channel()).as("taken again").isSameAs(first);
            }
        }
        assertThat(DatabaseFiles.openCount()).as("no descriptor per start").isEqualTo(open);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aReplacedOrDeletedFilesParkedDescriptorIsClosedByTheSweep() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 1);
        Path copy = TestDb.create(dir, "copy.db", 4096, 2);
        Path c = TestDb.create(dir, "c.db", 4096, 1);
        FileChannel old;
        FileChannel deleted;
        try (DatabaseFiles.Handle h = DatabaseFiles.open(a); DatabaseFiles.Handle hc = DatabaseFiles.open(c)) {
            old = h.channel();
            deleted = hc.channel();
            Files.move(copy, a, StandardCopyOption.REPLACE_EXISTING);
            Files.delete(c);
            DatabaseFiles.sweep();
            assertThat(old.isOpen()).as("in use: never closed by a sweep").isTrue();
            try (DatabaseFiles.Handle replaced = DatabaseFiles.open(a)) {
                assertThat(replaced.channel()).as("the new file at the path").isNotSameAs(old);
            }
        }
        DatabaseFiles.sweep();
        assertThat(old.isOpen()).as("the replaced file's").isFalse();
        assertThat(deleted.isOpen()).as("the deleted file's").isFalse();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aHandleLetsGoOnce() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 1);
        try (DatabaseFiles.Handle keeper = DatabaseFiles.open(a)) {
            DatabaseFiles.Handle twice = DatabaseFiles.open(a);
            twice.close();
            twice.close();
            Files.delete(a);
            DatabaseFiles.sweep();
            assertThat(keeper.channel().isOpen()).as("a second close does not take the other user's hold").isTrue();
        }
    }
}
