package io.litestream4j.cli;

import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.DirectoryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Directory mode with {@code watch: true}: looks at the directories every second, starts
 * replicating databases that appeared and stops those whose file is gone. A database that
 * cannot start yet (still being created, or one that failed to start with the others) is tried
 * again on the next look.
 */
final class DirectoryWatch implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    static final Duration INTERVAL = Duration.ofSeconds(1);

    /** Makes the replication target for a database found in a directory. */
    @FunctionalInterface
    interface TargetMaker {
        Replication.Target make(DatabaseConfig db) throws IOException;
    }

    private final List<DirectoryConfig> directories;
    private final Replication replication;
    private final TargetMaker targets;
    /**
     * How long {@link #close} waits for a database whose start is in flight: it must join the
     * replication before the final syncs, and interrupting it could cut its first writes short.
     */
    static final Duration START_WAIT = Duration.ofSeconds(60);

    private final Set<Path> failing = new HashSet<>();
    private final Map<DirectoryConfig, DirectoryListing> listings = new HashMap<>();
    private final Clock clock = Clock.systemUTC(); // directory times are the system's
    /** {@link Replication#membership} at the last look; -1 before the first. */
    private long lastMembership = -1;
    private volatile boolean running = true;
    private final Object wake = new Object();
    /** The database being started by a look, or null. */
    private volatile Path starting;
    private final Thread thread;

    DirectoryWatch(List<DirectoryConfig> directories, Replication replication, TargetMaker targets) {
        this.directories = directories;
        this.replication = replication;
        this.targets = targets;
        failing.addAll(replication.notStarted()); // their failure was logged at the start: said once
        this.thread = Thread.ofVirtual().name("directory watch").start(this::run);
    }

    private void run() {
        while (running) {
            try {
                synchronized (wake) {
                    if (running) {
                        wake.wait(INTERVAL.toMillis()); // close() wakes it: no interrupt reaches a start
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
            long members = replication.membership();
            boolean membersChanged = members != lastMembership;
            lastMembership = members;
            for (DirectoryConfig dir : directories) {
                if (running) {
                    look(dir, membersChanged);
                }
            }
        }
    }

    /**
     * Starts the new databases of {@code dir} and drops the removed ones. When none of its
     * directories changed and the same databases run as at the last look, that costs a stat per
     * directory (and a retry of each database whose start failed): the listing and the comparison
     * with the running databases are skipped.
     */
    private void look(DirectoryConfig dir, boolean membersChanged) {
        DirectoryListing listing = listings.computeIfAbsent(dir, d -> new DirectoryListing(d, clock));
        boolean relisted;
        try {
            relisted = listing.refresh();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "directory {0}: {1}", dir.dir(), e.getMessage());
            return;
        }
        if (!relisted && !membersChanged) {
            for (Path path : List.copyOf(failing)) {
                if (dir.covers(path) && DirectoryConfig.isDatabase(path)) {
                    startNew(dir, path);
                }
            }
            return;
        }
        List<Path> candidates = listing.candidates();
        Set<Path> present = new HashSet<>(candidates);
        Set<Path> replicated = new HashSet<>();
        replication.replicators().forEach(r -> replicated.add(r.database().path()));
        failing.removeAll(replicated); // started meanwhile by other means (the control socket's register)
        // Stopped or unregistered through the control socket: left alone until `start` or `register`, as with no watch.
        Set<Path> leftAlone = replication.leftAlone();
        for (Path path : candidates) {
            if (!running) {
                return; // no database joins once the others are stopping, and none is dropped
            }
            // Only new names are opened: known databases cost nothing but the directory listing.
            if (replicated.contains(path) || leftAlone.contains(path) || !DirectoryConfig.isDatabase(path)) {
                continue;
            }
            startNew(dir, path);
        }
        for (Path p : replicated) {
            if (dir.covers(p) && !present.contains(p) && !Files.exists(p)) {
                replication.remove(p);
            }
        }
        failing.removeIf(p -> dir.covers(p) && !present.contains(p)); // gone before it ever started
        for (Path p : leftAlone) {
            if (dir.covers(p) && !present.contains(p)) {
                replication.fileGone(p);
            }
        }
    }

    private void startNew(DirectoryConfig dir, Path path) {
        if (!running) {
            return; // no database joins once the others are stopping
        }
        DatabaseConfig db = dir.database(path);
        starting = db.path();
        try {
            replication.add(targets.make(db));
            failing.remove(db.path());
            LOG.log(System.Logger.Level.INFO, "{0}: new database in {1}, replicating", db.path(), dir.dir());
        } catch (IOException | RuntimeException e) {
            if (failing.add(db.path())) { // say it once, not every second
                LOG.log(System.Logger.Level.WARNING, "{0}: found in {1} but cannot replicate it yet: {2}", db.path(), dir.dir(), e.getMessage());
            }
        } finally {
            starting = null;
        }
    }

    /**
     * Stops looking. A database whose start is in flight is waited for (up to {@link #START_WAIT}),
     * not interrupted, so it is among the databases stopped next, with their final sync.
     */
    @Override
    public void close() {
        running = false;
        synchronized (wake) {
            wake.notifyAll();
        }
        try {
            thread.join(START_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path late = starting;
        if (thread.isAlive() && late != null) {
            LOG.log(System.Logger.Level.WARNING, "{0}: still starting after {1}; it will get no final sync", late, START_WAIT);
        }
    }
}
