package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class WalWatcherTest {
    @TempDir
    Path dir;

    @Test
    void oneWatcherDispatchesEachFilesChangesToItsSubscribers() throws Exception {
        WalWatcher watcher = WalWatcher.acquire();
        assertThat(watcher).as("this platform has file-system notifications").isNotNull();
        Files.createDirectories(dir.resolve("b"));
        Semaphore a = new Semaphore(0);
        Semaphore b = new Semaphore(0);
        AtomicInteger other = new AtomicInteger();
        try (var sa = watcher.watch(dir.resolve("a.db-wal"), a::release);
                var sb = watcher.watch(dir.resolve("b").resolve("a.db-wal"), b::release);
                var so = watcher.watch(dir.resolve("other.db-wal"), other::incrementAndGet)) {
            Files.writeString(dir.resolve("a.db-wal"), "x");
            assertThat(a.tryAcquire(5, TimeUnit.SECONDS)).as("a's change reached a").isTrue();
            Files.writeString(dir.resolve("b").resolve("a.db-wal"), "y");
            assertThat(b.tryAcquire(5, TimeUnit.SECONDS)).as("same name in another folder reached b").isTrue();
            Thread.sleep(200);
            assertThat(other.get()).as("no change of other.db-wal was made").isZero();
        }
        // Closed: nothing is called any more.
        a.drainPermits();
        Files.writeString(dir.resolve("a.db-wal"), "z");
        Thread.sleep(300);
        assertThat(a.availablePermits()).isZero();
        watcher.release();
    }

    @Test
    void theLastReleaseEndsTheWatchersThreadAndTheNextAcquireStartsAnother() throws Exception {
        assertThat(WalWatcher.users()).as("databases still replicating, left by an earlier test").isZero();
        WalWatcher first = WalWatcher.acquire();
        WalWatcher again = WalWatcher.acquire();
        assertThat(again).as("one watcher for the process").isSameAs(first);
        first.release();
        assertThat(watcherThreads()).as("still used by one").isPositive();
        Semaphore changed = new Semaphore(0);
        try (var s = again.watch(dir.resolve("x.db-wal"), changed::release)) {
            Files.writeString(dir.resolve("x.db-wal"), "x");
            assertThat(changed.tryAcquire(5, TimeUnit.SECONDS)).as("the remaining user is still notified").isTrue();
        }
        int before = watcherThreads();
        again.release();
        assertThat(watcherThreads()).as("the watcher's thread ended with the last release").isEqualTo(before - 1);
        WalWatcher next = WalWatcher.acquire();
        assertThat(next).as("a new watcher after the last release").isNotSameAs(first);
        try (var s = next.watch(dir.resolve("y.db-wal"), changed::release)) {
            Files.writeString(dir.resolve("y.db-wal"), "y");
            assertThat(changed.tryAcquire(5, TimeUnit.SECONDS)).as("the new watcher notifies").isTrue();
        } finally {
            next.release();
        }
    }

    private static int watcherThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(WalWatcher.THREAD_NAME)).count();
    }

    /**
     * Lost events (a queue overflow) make a database compare its WAL's size and time, not sync:
     * an unchanged WAL keeps the loop waiting until its look interval ends (where a quiet
     * database is released), a changed one ends the wait.
     */
    @Test
    void lostEventsMakeALookNotASync() throws Exception {
        Path wal = dir.resolve("q.db-wal");
        Files.write(wal, new byte[32]);
        WalChangeWaiter waiter = new WalChangeWaiter(dir.resolve("q.db"), wal, java.time.Duration.ofMillis(100));
        try {
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("the first look sees the WAL as new").isTrue();
            Thread lost = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 5; i++) {
                    waiter.lookAgain();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            assertThat(waiter.await(false, Long.MAX_VALUE, false)).as("nothing changed: the look interval (1 s) ends the wait, not the lost events")
                    .isFalse();
            lost.join();
        } finally {
            waiter.close();
            waiter.release();
        }
    }
}
