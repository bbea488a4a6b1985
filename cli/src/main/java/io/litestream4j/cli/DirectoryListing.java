package io.litestream4j.cli;

import io.litestream4j.cli.config.DirectoryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A watched directory's last listing, made again only when one of its directories may have
 * changed: a file created, removed or renamed in a directory changes that directory's
 * modification time, so a look that finds every directory's time unchanged needs no listing.
 * A listing of 10,000 databases (30,000 files with their WALs) cost 40-100 ms of CPU; the watch
 * looks every second, so that alone was 4-10% of a core for a process doing nothing.
 *
 * <p>Times from the file system are coarse (a kernel tick, or worse on some file systems): a
 * file created in the same tick as our listing, just after it, leaves the time we saw. So a
 * listing is trusted only once every directory's time is older than the listing by
 * {@link #SETTLED}; until then each look lists again. And every {@link #RELIST_EVERY} a listing is
 * made anyway, for file systems that do not keep directory times (some network and FUSE ones).
 */
final class DirectoryListing {
    static final Duration SETTLED = Duration.ofSeconds(2);
    static final Duration RELIST_EVERY = Duration.ofSeconds(60);

    private final DirectoryConfig dir;
    private final Clock clock;
    private List<Path> candidates;
    /** Each listed directory's modification time as read before the listing. */
    private Map<Path, FileTime> times = Map.of();
    /** Whether every time in {@link #times} was older than the listing by SETTLED. */
    private boolean settled;
    private long listedAtMillis;

    DirectoryListing(DirectoryConfig dir, Clock clock) {
        this.dir = dir;
        this.clock = clock;
    }

    /**
     * Lists the directory again if it may have changed since the last listing.
     *
     * @return true if it was listed now (its {@link #candidates} may differ)
     */
    boolean refresh() throws IOException {
        long now = clock.millis();
        if (candidates != null && settled && now - listedAtMillis < RELIST_EVERY.toMillis() && unchanged()) {
            return false;
        }
        Map<Path, FileTime> before = new LinkedHashMap<>();
        before.put(dir.dir(), modified(dir.dir()));
        DirectoryConfig.Listing listing = dir.listing();
        boolean allSettled = true;
        for (Path d : listing.directories()) {
            // A subdirectory's time is read after the listing: a change in between is newer than
            // `now`, so the listing counts as unsettled and the next look lists again.
            FileTime t = before.containsKey(d) ? before.get(d) : modified(d);
            before.put(d, t);
            allSettled &= t != null && now - t.toMillis() >= SETTLED.toMillis();
        }
        candidates = listing.candidates();
        times = before;
        settled = allSettled;
        listedAtMillis = now;
        return true;
    }

    /** The matching paths as of the last {@link #refresh} (which must have run). */
    List<Path> candidates() {
        return candidates;
    }

    private boolean unchanged() {
        for (Map.Entry<Path, FileTime> e : times.entrySet()) {
            FileTime t = modified(e.getKey());
            if (t == null || !t.equals(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** The directory's modification time, or null if it cannot be read (gone, say). */
    private static FileTime modified(Path d) {
        try {
            return Files.getLastModifiedTime(d);
        } catch (IOException e) {
            return null;
        }
    }
}
