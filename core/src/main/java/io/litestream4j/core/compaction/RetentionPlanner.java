package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import io.litestream4j.core.restore.RestorableTimeline;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Decides what retention may delete from a replica's files, without touching the replica.
 *
 * <p>Guarantee: for every moment {@code m} of the retention window ({@code now - snapshot
 * retention} to {@code now}), a point-in-time restore of {@code m} from the files left gets a
 * state at least as new as a restore of {@code m - granularity} got before (granularity: two
 * level-1 intervals, the precision point-in-time restores keep once L0 files are gone). The rules
 * propose deletions (snapshots older than the newest one at or before the window's start; files
 * of levels 0-8 that end at or before that snapshot; L0 files older than {@code l0-retention} up
 * to the end of a level-1 file); each proposal, as one group, is checked against that guarantee
 * by planning the restores of the window's edges on the files that would remain, and a group
 * that fails it is kept whole.
 */
final class RetentionPlanner {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(RetentionPlanner.class);

    private RetentionPlanner() {}

    /**
     * What retention decided at {@code now}: the files to delete, and until when a run over the
     * same files would propose nothing ({@code now} itself when it proposed anything, deleted or
     * kept: a kept group may become deletable at any later run).
     */
    record Plan(List<LtxFileInfo> deletable, Instant quietUntil) {}

    /** The files to delete from {@code all} (every file of every level) at {@code now}. */
    static List<LtxFileInfo> deletable(String location, List<LtxFileInfo> all, Instant now, CompactionSettings settings) {
        return plan(location, all, now, settings).deletable();
    }

    /** {@link #deletable}, with how long the same files leave retention nothing to propose. */
    static Plan plan(String location, List<LtxFileInfo> all, Instant now, CompactionSettings settings) {
        if (!settings.retentionEnabled() || all.isEmpty()) {
            return new Plan(List.of(), Instant.MAX);
        }
        Instant windowStart = now.minus(settings.snapshotRetention());
        Duration granularity = settings.interval(1).multipliedBy(2);
        RestorableTimeline before = RestorableTimeline.of(all);
        long newest = all.stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
        List<Instant> edges = edges(before, windowStart, now, granularity);
        Set<LtxFileInfo> remaining = new HashSet<>(all);
        List<LtxFileInfo> deleted = new ArrayList<>();
        List<List<LtxFileInfo>> groups = new ArrayList<>();
        groups.add(beforeOldestKeptSnapshot(all, windowStart));
        groups.addAll(coveredL0(all, now.minus(settings.l0Retention())));
        if (groups.stream().allMatch(List::isEmpty)) {
            return new Plan(List.of(), nextProposal(all, now, settings));
        }
        for (List<LtxFileInfo> group : groups) {
            if (group.isEmpty()) {
                continue;
            }
            Set<LtxFileInfo> doomed = new HashSet<>(group);
            List<LtxFileInfo> left = remaining.stream().filter(f -> !doomed.contains(f)).toList();
            RestorableTimeline after = RestorableTimeline.of(left);
            Optional<String> harm = before.rebuildable(newest) && !after.rebuildable(newest)
                    ? Optional.of("would leave the newest TXID %s unrestorable".formatted(Txid.format(newest)))
                    : harm(before, after, edges, granularity);
            if (harm.isPresent()) {
                LOG.log(System.Logger.Level.INFO, "{0}: retention keeps {1} files of level {2} ({3}...): deleting them {4}", location,
                        group.size(), group.getFirst().level(), group.getFirst().fileName(), harm.get());
                continue;
            }
            group.forEach(remaining::remove);
            deleted.addAll(group);
        }
        return new Plan(deleted, now);
    }

    /**
     * The first moment after {@code now} at which a proposal could appear among the same files: a
     * snapshot reaching the window's start (its creation plus the snapshot retention), or an L0
     * file passing the l0-retention cutoff (its creation plus l0-retention, strictly after).
     * Every proposal rule compares a file's creation with one of those two cutoffs; new files
     * come with writes, which the caller watches itself. {@link Instant#MAX} if none is ahead.
     */
    static Instant nextProposal(List<LtxFileInfo> all, Instant now, CompactionSettings settings) {
        Instant next = Instant.MAX;
        for (LtxFileInfo f : all) {
            Instant at;
            if (f.level() == LtxFileInfo.SNAPSHOT_LEVEL) {
                at = f.createdAt().plus(settings.snapshotRetention());
            } else if (f.level() == 0) {
                at = f.createdAt().plus(settings.l0Retention()).plusMillis(1);
            } else {
                continue;
            }
            if (at.isAfter(now) && at.isBefore(next)) {
                next = at;
            }
        }
        return next;
    }

    /**
     * Moments at which the guarantee could first break: the window's start, and each moment a
     * restore of {@code m - granularity} got a newer state (the requirement steps up there).
     */
    private static List<Instant> edges(RestorableTimeline before, Instant windowStart, Instant now, Duration granularity) {
        List<Instant> edges = new ArrayList<>();
        edges.add(windowStart);
        for (Instant t : before.changeTimes()) {
            Instant m = t.plus(granularity);
            if (m.isAfter(windowStart) && !m.isAfter(now)) {
                edges.add(m);
            }
        }
        return edges;
    }

    /** Why deleting would break the guarantee, or empty if it would not. */
    private static Optional<String> harm(RestorableTimeline before, RestorableTimeline after, List<Instant> edges, Duration granularity) {
        for (Instant m : edges) {
            OptionalLong want = before.txidAt(m.minus(granularity));
            if (want.isEmpty()) {
                continue;
            }
            OptionalLong got = after.txidAt(m);
            if (got.isEmpty() || Long.compareUnsigned(got.getAsLong(), want.getAsLong()) < 0) {
                return Optional.of("would leave %s restorable only as %s instead of TXID %s".formatted(m,
                        got.isEmpty() ? "nothing" : "TXID " + Txid.format(got.getAsLong()), Txid.format(want.getAsLong())));
            }
        }
        return Optional.empty();
    }

    /**
     * Snapshots older than the newest one at or before the window's start, and the files of levels
     * 0-8 that end at or before it: empty while no snapshot is that old (then every moment of the
     * window may still need the older files).
     */
    private static List<LtxFileInfo> beforeOldestKeptSnapshot(List<LtxFileInfo> all, Instant windowStart) {
        Optional<LtxFileInfo> kept = all.stream()
                .filter(f -> f.level() == LtxFileInfo.SNAPSHOT_LEVEL && !f.createdAt().isAfter(windowStart))
                .max(Comparator.comparing(LtxFileInfo::maxTxid, Long::compareUnsigned));
        if (kept.isEmpty()) {
            return List.of();
        }
        long keptMax = kept.get().maxTxid();
        return all.stream().filter(f -> !f.equals(kept.get()) && Long.compareUnsigned(f.maxTxid(), keptMax) <= 0).toList();
    }

    /**
     * L0 files created before {@code cutoff} that a level-1 file covers, one group per level-1
     * file, and only once all of that file's L0 files are that old: the L0 files left then
     * continue a level-1 chain (a TXID in the l0-retention window must never need a deleted L0
     * file whose only copy is a level-1 file that runs past it).
     */
    private static List<List<LtxFileInfo>> coveredL0(List<LtxFileInfo> all, Instant cutoff) {
        List<LtxFileInfo> l1 = all.stream().filter(f -> f.level() == 1).sorted(Comparator.comparing(LtxFileInfo::maxTxid, Long::compareUnsigned))
                .toList();
        Map<LtxFileInfo, List<LtxFileInfo>> groups = new LinkedHashMap<>();
        Set<LtxFileInfo> waiting = new HashSet<>();
        for (LtxFileInfo f : all) {
            if (f.level() != 0) {
                continue;
            }
            LtxFileInfo cover = coverOf(l1, f);
            if (cover == null) {
                continue;
            }
            if (f.createdAt().isBefore(cutoff)) {
                groups.computeIfAbsent(cover, k -> new ArrayList<>()).add(f);
            } else {
                waiting.add(cover);
            }
        }
        return groups.entrySet().stream().filter(e -> !waiting.contains(e.getKey()))
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(LtxFileInfo::maxTxid, Long::compareUnsigned)))
                .map(Map.Entry::getValue).toList();
    }

    /** The level-1 file holding {@code f}'s TXIDs, or null: the first one (by max TXID) that ends at or after it. */
    private static LtxFileInfo coverOf(List<LtxFileInfo> l1, LtxFileInfo f) {
        int lo = 0;
        int hi = l1.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(l1.get(mid).maxTxid(), f.maxTxid()) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < l1.size() && Long.compareUnsigned(l1.get(lo).minTxid(), f.minTxid()) <= 0 ? l1.get(lo) : null;
    }
}
