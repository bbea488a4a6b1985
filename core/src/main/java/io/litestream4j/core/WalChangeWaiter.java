package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Tells one database's sync loop when its WAL may have changed: a file-system notification
 * (through the process's {@link WalWatcher}), or, without notifications, a change of the WAL's
 * size or modification time seen by polling every monitor interval. It never touches the
 * database: the loop passes in what it needs to know (whether the pin waits for a quiet WAL, when
 * a timed checkpoint falls due).
 *
 * <p>Thread-safe: {@link #await} runs on the sync loop's thread; {@link #signal} on any (the
 * watcher's, an uploader asking for a seed, a stop).
 */
final class WalChangeWaiter {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(WalChangeWaiter.class);
    /** With notifications, the WAL is still looked at every this many monitor-intervals. */
    static final int NOTIFIED_LOOKS = 10;

    /**
     * With notifications, a dormant database's WAL (connections released, no checkpoint waiting)
     * is looked at every this many monitor-intervals, on the process's timer. The look is only a
     * safety net (a commit creates or modifies the WAL, which is notified at once; a lost event
     * queue is notified too, {@link #lookAgain}), and it is what an idle database costs: with
     * 10,000 of them, one look every 10 s was 1,000 timer wake-ups and 2,000 stats a second.
     */
    static final int DORMANT_LOOKS = 30;

    private final Path db;
    private final Path wal;
    private final Duration monitorInterval;
    /** The watcher acquired at construction; null once released, or when the platform has none. */
    private WalWatcher held;
    /** The watcher subscriptions come from; null when polling (no notifications, or they failed). Guarded by signal. */
    private WalWatcher watcher;
    /** Our WAL's notifications; null when polling, always or while a writer is busy. Guarded by signal. */
    private volatile WalWatcher.Subscription subscription;
    /** A writer is committing continuously: the loop syncs every SYNC_SPACING with notifications off. Guarded by signal. */
    private boolean busy;
    private boolean closed;
    private final Object signal = new Object();
    private boolean signalled;
    /**
     * A notification of our WAL arrived that no {@link #await} has returned yet: a commit the loop
     * has not synced ({@link #untouchedSinceLastLook}), or an event of our own open or close
     * delivered late ({@link #released}). Guarded by signal.
     */
    private boolean notified;
    /**
     * How old a file's modification time must be, against the clock at {@link #released}, for a
     * later write to be sure to give it another: file systems keep times to a clock tick (ext4:
     * milliseconds), some to a second or two (ext3's small inodes, FAT). With margin.
     */
    static final Duration SETTLED = Duration.ofSeconds(3);
    /**
     * The files as {@link #released} took them were settled (each absent, or last modified more
     * than SETTLED before): any write since would show in a look. False once a look sees a change.
     * Guarded by looks.
     */
    private boolean releasedSettled;
    /** Notifications a look found nothing behind (for tests). Guarded by signal. */
    private long notificationsSetAside;
    /** {@link #lookAgain} was called: compare the WAL's size and time before waiting on. Guarded by signal. */
    private boolean lookRequested;
    /** Guards the last look's sizes and times: the loop's thread and the timer's both look. */
    private final Object looks = new Object();
    /** The WAL's and the database's size and time at the last look (null before the first). Guarded by looks. */
    private FileState seenWal;
    private FileState seenDb;

    /** Acquires the process's watcher and subscribes to {@code wal}'s changes; {@link #close} releases both. */
    WalChangeWaiter(Path db, Path wal, Duration monitorInterval) {
        this.db = db;
        this.wal = wal;
        this.monitorInterval = monitorInterval;
        this.held = WalWatcher.acquire();
        this.watcher = held;
        listen();
    }

    /**
     * Events of the WAL's directory were lost (the watch service's queue overflowed: thousands of
     * databases in one directory on a busy machine): {@link #await} compares the WAL's size and
     * time with what it saw last, and returns only if they changed. Waking every database's loop
     * for a sync instead made thousands of syncs at each overflow, each opening released
     * connections again, and kept any database from ever being quiet for long. Any thread.
     */
    void lookAgain() {
        synchronized (signal) {
            lookRequested = true;
            signal.notifyAll();
        }
    }

    /**
     * Our connections were just closed ({@link Database#releaseIfQuiet}): what our own close did to
     * the WAL (SQLite checkpoints and deletes it when ours was the last connection) is taken as
     * seen, so the next look does not mistake it for a commit and open the connections again.
     * Without that, a database nobody else had open cycled for ever: released, WAL gone, "changed",
     * reopened (creating an empty WAL), quiet, released, ... (1,000 databases: every connection
     * open again within a look interval, a third of a core of idle CPU, docs/benchmarks.md).
     * Only with notifications: a commit after our close is then signalled whatever the sizes say,
     * while a poller could miss one that landed between the close and this look. It also notes
     * whether the files were settled, so that later notifications can be judged by a look
     * ({@link #releasedSettled()}); a commit between the close and this look left them
     * freshly written, not settled. Loop thread only.
     */
    void released() throws IOException {
        if (subscription != null) {
            synchronized (looks) {
                walChanged();
                long settledBefore = System.currentTimeMillis() - SETTLED.toMillis();
                releasedSettled = seenWal.modifiedMillis() < settledBefore && seenDb.modifiedMillis() < settledBefore;
            }
        }
    }

    /** The WAL's notification: it changed. The watcher's thread. */
    private void notified() {
        synchronized (signal) {
            notified = true;
            signal.notifyAll();
        }
    }

    /**
     * Whether a notification to a dormant database can be judged by a look alone: the files were
     * settled when its connections were released. Then a commit since shows in the files
     * (the WAL appears or grows, or a checkpoint writes the database, each with a new time), and
     * a notification the files do not bear out is an event of our own open or close delivered
     * late (SQLite creating the WAL when we opened, with its owner set when we run as root): at
     * 10,000 databases starting, the watcher's thread delivered those after the crowded start had
     * released the database, and each opened its connections again for nothing (docs/benchmarks.md,
     * start9). A release that found the files freshly written (our close's checkpoint, or a commit
     * that landed just before it) is not settled, and every notification then ends the wait.
     */
    private boolean releasedSettled() {
        synchronized (looks) {
            return releasedSettled;
        }
    }

    /**
     * Whether nothing touched the WAL or the database file since the loop's last look: no
     * notification it has not taken, and both files' size and time as seen then (read now, but
     * not taken as a look: asking twice gives the same answer). For the final sync of a released database ({@link SyncLoop#finalSync}):
     * opening its connections only to find nothing new cost each of 10,000 released databases a
     * reopen at every stop. Only once the loop has ended.
     */
    boolean untouchedSinceLastLook() throws IOException {
        synchronized (signal) {
            if (lookRequested || (notified && !releasedSettled())) {
                return false;
            }
        }
        return !filesChanged(false);
    }

    /**
     * A sync is about to read the WAL: every change notified so far is in what it reads, so the
     * loop need not wake for it again. A notification after this call (a commit during or after
     * the read) still wakes it. The start's own sync runs outside the loop, and without this left
     * the notifications of its own open (SQLite creating the WAL) standing for the loop's first
     * look. On its own it did not stop the reopens of a start of 10,000 databases (4,721 against
     * 4,666: most of those events came after the start's sync; {@link #releasedSettled()}
     * did, docs/benchmarks.md, start9). Any thread.
     */
    void coveredBySync() {
        synchronized (signal) {
            signalled = false;
            notified = false;
        }
    }

    /** Notifications that a look found nothing behind, so far (for tests). */
    long notificationsSetAside() {
        synchronized (signal) {
            return notificationsSetAside;
        }
    }

    /** The WAL may have changed (or the loop must look at once: a seed request, a stop). Any thread; it must only signal. */
    void signal() {
        synchronized (signal) {
            signalled = true;
            signal.notifyAll();
        }
    }

    /**
     * A writer at full speed modifies the WAL thousands of times a second, and each modification
     * is an inotify event that wakes two threads: on two cores that is CPU taken from the writer
     * (the writer was preempted ten to twenty times as often with them). While it is busy the loop
     * syncs every SYNC_SPACING anyway, so the events are of no use: stop them.
     */
    void becomeBusy() {
        synchronized (signal) {
            busy = true;
            unsubscribe();
        }
    }

    /** The burst is over: notifications on again, if the platform has them and we are not closed. */
    void listen() {
        synchronized (signal) {
            busy = false;
            if (watcher == null || subscription != null || closed) {
                return;
            }
            try {
                subscription = watcher.watch(wal, this::notified, this::lookAgain);
            } catch (IOException e) {
                watcher = null; // polling from now on: no warning at every end of a burst
                LOG.log(System.Logger.Level.WARNING, "{0}: no file-system notifications ({1}); polling every {2}", db, e.getMessage(), monitorInterval);
            }
        }
    }

    boolean busy() {
        synchronized (signal) {
            return busy;
        }
    }

    /** Whether notifications are on for our WAL (off while a writer is busy). */
    boolean listening() {
        return subscription != null;
    }

    /**
     * Returns when the WAL may have changed (true), or when {@code lookInterval} passed without a
     * change (false: the loop's chance to run a timed checkpoint), or at once after {@link #close}.
     *
     * @param pinWaiting the pin is held where it could hold back a checkpoint: look again within
     *     SYNC_SPACING even without a notification (an application checkpoint waiting for our pin
     *     holds the write lock, so nothing changes until the sync that finds nothing lets go)
     * @param millisUntilCheckpoint when the timed checkpoint falls due ({@link Long#MAX_VALUE}: none waits)
     * @param dormant the loop has nothing to do when a look finds no change (its connections are
     *     released and no checkpoint waits): with notifications, return only on a change; the
     *     safety-net looks then run on the process's timer ({@link #lookFromTimer}), so the loop's
     *     thread sleeps until something happens instead of waking every look interval
     */
    boolean await(boolean pinWaiting, long millisUntilCheckpoint, boolean dormant) throws InterruptedException, IOException {
        if (busy() || pinWaiting) {
            // No stat: a commit that overwrites a restarted WAL within the same clock tick
            // changes neither its size nor its time. The sync that follows looks at the frames.
            synchronized (signal) {
                if (!signalled && !notified && !closed) {
                    signal.wait(SyncLoop.SYNC_SPACING.toMillis());
                }
                signalled = false;
                notified = false;
            }
            return true;
        }
        boolean untimed = dormant && subscription != null;
        ProcessTimer.Pending safetyNet = untimed ? ProcessTimer.every(monitorInterval.multipliedBy(DORMANT_LOOKS), this::lookFromTimer) : null;
        long deadline = System.nanoTime() + lookInterval(millisUntilCheckpoint).toNanos();
        try {
            while (true) {
                if (walChanged()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                synchronized (signal) {
                    if (closed) {
                        return false;
                    }
                    if (left <= 0 && !untimed) {
                        return false;
                    }
                    if (!signalled && !notified && !lookRequested) {
                        if (untimed) {
                            signal.wait();
                        } else {
                            // Without notifications, look at least once a second.
                            long waitMillis = TimeUnit.NANOSECONDS.toMillis(left) + 1;
                            signal.wait(subscription == null ? Math.min(waitMillis, 1000) : waitMillis);
                        }
                    }
                    if (signalled || (notified && !(dormant && releasedSettled()))) {
                        signalled = false;
                        notified = false;
                        return true;
                    }
                    if (notified) {
                        notified = false; // the loop's next turn compares size and time (walChanged)
                        notificationsSetAside++;
                    }
                    lookRequested = false;
                }
            }
        } finally {
            if (safetyNet != null) {
                safetyNet.cancel();
            }
        }
    }

    /**
     * A safety-net look at a dormant database, on the process's timer thread: two stats, and a
     * signal only if something changed. A failed stat wakes the loop, which looks itself and
     * reports the error.
     */
    private void lookFromTimer() {
        boolean changed;
        try {
            changed = walChanged();
        } catch (IOException | RuntimeException e) {
            changed = true;
        }
        if (changed) {
            signal();
        }
    }

    /**
     * How long to wait before looking at the WAL unprompted. Polling, every monitor-interval.
     * With notifications, only when a time-based checkpoint falls due, and otherwise every
     * NOTIFIED_LOOKS monitor-intervals as a safety net: a process with hundreds of idle
     * databases then wakes a few times a second in all, not hundreds.
     */
    private Duration lookInterval(long millisUntilCheckpoint) {
        if (subscription == null) {
            return monitorInterval;
        }
        Duration safetyNet = monitorInterval.multipliedBy(NOTIFIED_LOOKS);
        if (millisUntilCheckpoint >= safetyNet.toMillis()) {
            return safetyNet;
        }
        return millisUntilCheckpoint <= monitorInterval.toMillis() ? monitorInterval : Duration.ofMillis(millisUntilCheckpoint);
    }

    /**
     * Whether the WAL or the database file changed size or time since the last look. The database
     * file counts too: an application whose connection is the last to close checkpoints its
     * commit into the database and deletes the WAL, so a released database (WAL already gone)
     * whose notifications were lost, or a polled one, would see no WAL change at all.
     */
    private boolean walChanged() throws IOException {
        return filesChanged(true);
    }

    /** Whether either file's size or time differs from the last look's; {@code look} records them as seen. */
    private boolean filesChanged(boolean look) throws IOException {
        synchronized (looks) {
            FileState wal = FileState.of(this.wal);
            FileState db = FileState.of(this.db);
            boolean changed = !wal.equals(seenWal) || !db.equals(seenDb);
            if (look) {
                seenWal = wal;
                seenDb = db;
                if (changed) {
                    releasedSettled = false;
                }
            }
            return changed;
        }
    }

    /**
     * A file's size, modification time and identity (device and inode: a file put in its place is
     * another file whatever its times), read in one call; size and time -1 when it does not exist.
     */
    private record FileState(long size, long modifiedMillis, Object key) {
        private static final FileState ABSENT = new FileState(-1, -1, null);

        /**
         * Without an exception for a missing file: a released database's WAL is usually gone,
         * and a NoSuchFileException with its stack trace at every look was 183 exceptions a second
         * with 2,000 idle databases (JFR).
         */
        static FileState of(Path file) throws IOException {
            BasicFileAttributes a = file.getFileSystem().provider().readAttributesIfExists(file, BasicFileAttributes.class);
            return a == null ? ABSENT : new FileState(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        }
    }

    private void unsubscribe() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
    }

    /**
     * Ends the notifications and wakes {@link #await} (an interrupt could cut a file write short);
     * every later await returns at once. The watcher is released by {@link #release}, once the
     * loop has ended.
     */
    void close() {
        synchronized (signal) {
            closed = true;
            unsubscribe();
        }
        signal();
    }

    /** Gives the process's watcher back (its last user's release ends its thread). Idempotent. */
    void release() {
        WalWatcher w;
        synchronized (signal) {
            closed = true;
            unsubscribe();
            w = held;
            held = null;
            watcher = null;
        }
        if (w != null) {
            w.release();
        }
    }
}
