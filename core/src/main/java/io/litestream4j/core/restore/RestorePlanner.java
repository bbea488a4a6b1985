package io.litestream4j.core.restore;

import io.litestream4j.NoBackupException;
import io.litestream4j.core.replica.ExactListings;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * Chooses the files to restore, as Litestream does: starting from nothing, repeatedly the file
 * that extends the chain ({@code min <= current + 1}, {@code max > current}) without passing the
 * target, preferring the larger max, then the smaller min, then the higher level. The first pick
 * is therefore the newest snapshot at or before the target, then the biggest compactions, then L0.
 */
public final class RestorePlanner {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(RestorePlanner.class);
    /**
     * How good a file is as the plan's next step, worst first: the one reaching furthest, then
     * starting earliest, then from the highest level. A plain lambda, not {@code Comparator}'s
     * combinators, whose serializable lambdas the restore's start-up cache cannot hold (see
     * {@link LtxFileInfo#BY_TXIDS}).
     */
    private static final Comparator<LtxFileInfo> AS_NEXT_STEP = (a, b) -> {
        int byMax = Long.compareUnsigned(a.maxTxid(), b.maxTxid());
        if (byMax != 0) {
            return byMax;
        }
        int byMin = Long.compare(b.minTxid(), a.minTxid());
        return byMin != 0 ? byMin : Integer.compare(a.level(), b.level());
    };

    private RestorePlanner() {}

    /** The replica holds no LTX files but a Litestream 0.3 backup: restore it with {@link Litestream03Restorer}. */
    public static final class LegacyBackupException extends IOException {
        private static final long serialVersionUID = 1L;

        LegacyBackupException(String message) {
            super(message);
        }
    }

    /** No LTX file can rebuild the state at the time asked for (before the first one, or a hole): a Litestream 0.3 backup may. */
    public static final class NoStateAtTimeException extends IOException {
        private static final long serialVersionUID = 1L;

        NoStateAtTimeException(String message) {
            super(message);
        }
    }

    /** Every file of every level, highest level first. */
    public static List<LtxFileInfo> listAll(ReplicaClient client) throws IOException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = LtxFileInfo.MAX_LEVEL; level >= 0; level--) {
            all.addAll(client.listFiles(level, 0));
        }
        return all;
    }

    /** {@link #listAll} with the times the files' data was written (see {@link ExactListings}). */
    static List<LtxFileInfo> listAllExact(ReplicaClient client) throws IOException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = LtxFileInfo.MAX_LEVEL; level >= 0; level--) {
            all.addAll(ExactListings.list(client, level, 0));
        }
        return all;
    }

    /** Plans the restore of {@code target}'s TXID, or of the newest state if empty. */
    public static RestorePlan plan(ReplicaClient client, OptionalLong target) throws IOException {
        WriteOnly.requireReadable(client, "restore");
        return plan(client.location(), notLegacy(client, listAll(client)), target);
    }

    /**
     * {@code all}, unless it is empty because the replica holds a Litestream 0.3 backup: that is
     * an error naming the format, never "no backup" (a restore skipped on "no backup" would start
     * an application on an empty database).
     */
    private static List<LtxFileInfo> notLegacy(ReplicaClient client, List<LtxFileInfo> all) throws IOException {
        var legacy = client.capability(LegacyLayout.class);
        if (all.isEmpty() && legacy.isPresent() && legacy.get().holdsLitestream03()) {
            throw new LegacyBackupException(("replica %s holds a Litestream 0.3 backup (generations/ with snapshots and WAL segments), not the LTX "
                    + "files of Litestream 0.5: restore it with litestream restore (which reads it) or Litestream 0.3").formatted(client.location()));
        }
        return all;
    }

    /**
     * Plans the restore of the state as of {@code time}: the newest TXID a file reached at or
     * before it that the files can rebuild. Outside the replica's time range is an error saying
     * what range is available.
     */
    public static RestorePlan planAt(ReplicaClient client, Instant time) throws IOException {
        WriteOnly.requireReadable(client, "restore");
        return planAt(client.location(), notLegacy(client, listAllExact(client)), time);
    }

    /** {@link #planAt(ReplicaClient, Instant)} from a listing of every level ({@link #listAll}). */
    public static RestorePlan planAt(String location, List<LtxFileInfo> all, Instant time) throws IOException {
        if (all.isEmpty()) {
            throw new NoBackupException("replica %s: no backup found (no LTX files in any level)".formatted(location));
        }
        Instant first = all.stream().map(LtxFileInfo::createdAt).min(Comparator.naturalOrder()).orElseThrow();
        Instant last = all.stream().map(LtxFileInfo::createdAt).max(Comparator.naturalOrder()).orElseThrow();
        if (time.isAfter(last)) {
            LOG.log(System.Logger.Level.INFO, "{0}: {1} is after the newest file ({2}); restoring the newest state", location, time, last);
        }
        // The newest TXID a file created by then reached and a chain can rebuild exactly (older
        // TXIDs of merged files are gone as units; retention removed pieces of some chains).
        RestorableTimeline timeline = RestorableTimeline.of(all);
        OptionalLong txid = timeline.txidAt(time);
        if (txid.isEmpty()) {
            throw new NoStateAtTimeException("replica %s: no restorable state at %s; the replica covers %s to %s".formatted(location, time, first, last));
        }
        RestorePlan plan = plan(location, all, txid);
        inexact(location, all, timeline, time, txid.getAsLong())
                .ifPresent(why -> LOG.log(System.Logger.Level.WARNING, "{0}", why));
        return plan;
    }

    /**
     * Why the restore of {@code time} may not be the exact state then, or empty if it is: the next
     * TXID after the one restored exists only inside files that merged several TXIDs (an upload
     * after a sync interval, a compaction whose L0 files retention removed), so some of them may
     * have been committed at or before {@code time}. Says which state is restored, how long
     * before {@code time} it was written, and the nearest later restorable time.
     */
    static java.util.Optional<String> inexact(String location, List<LtxFileInfo> all, RestorableTimeline timeline, Instant time, long txid) {
        long next = txid + 1;
        List<LtxFileInfo> holding = all.stream()
                .filter(f -> Long.compareUnsigned(f.minTxid(), next) <= 0 && Long.compareUnsigned(next, f.maxTxid()) <= 0).toList();
        if (holding.isEmpty() || holding.stream().anyMatch(f -> f.minTxid() == f.maxTxid())) {
            return java.util.Optional.empty(); // nothing after it, or the next TXID has a file (and a time) of its own
        }
        LtxFileInfo merged = holding.stream().min((a, b) -> Long.compareUnsigned(a.maxTxid(), b.maxTxid())).orElseThrow();
        Instant stateTime = all.stream().filter(f -> f.maxTxid() == txid).map(LtxFileInfo::createdAt).min(Comparator.naturalOrder()).orElse(time);
        String later = timeline.nextChangeAfter(time)
                .map(t -> "the nearest later restorable time is %s (TXID %s)".formatted(t, Txid.format(timeline.txidAt(t).orElseThrow())))
                .orElse("no later state can be restored");
        return java.util.Optional.of(("replica %s: %s may fall inside level %d file %s, which holds TXIDs %s-%s (written by %s) as one unit; "
                + "restoring TXID %s, the state as of %s, %s before %s; %s").formatted(location, time, merged.level(), merged.fileName(),
                Txid.format(merged.minTxid()), Txid.format(merged.maxTxid()), merged.createdAt(), Txid.format(txid), stateTime,
                humanDuration(java.time.Duration.between(stateTime, time)), time, later));
    }

    private static String humanDuration(java.time.Duration d) {
        long ms = Math.max(0, d.toMillis());
        return ms < 1000 ? ms + " ms" : ms < 120_000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0) : (ms / 60_000) + " min " + (ms / 1000 % 60) + " s";
    }

    static RestorePlan plan(String location, List<LtxFileInfo> all, OptionalLong target) throws IOException {
        return plan(location, all, 0, target);
    }

    /** Plans from a database already at TXID {@code from} (0 for nothing) to the target. */
    public static RestorePlan plan(String location, List<LtxFileInfo> all, long from, OptionalLong target) throws IOException {
        if (all.isEmpty()) {
            throw new NoBackupException("replica %s: no backup found (no LTX files in any level)".formatted(location));
        }
        long newest = all.stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, Txid::max);
        long goal = target.orElse(newest);
        if (target.isPresent() && goal == 0) {
            throw new IOException("replica %s: TXID %s is not a state (TXIDs start at %s)".formatted(location, Txid.format(0), Txid.format(1)));
        }
        if (Long.compareUnsigned(goal, newest) > 0) {
            throw new IOException("replica %s: TXID %s is not available; the newest is %s".formatted(location, Txid.format(goal), Txid.format(newest)));
        }
        List<LtxFileInfo> usable = all.stream().filter(f -> Long.compareUnsigned(f.maxTxid(), goal) <= 0).toList();
        List<LtxFileInfo> chain = new ArrayList<>();
        long pos = from;
        while (pos != goal) {
            final long current = pos;
            LtxFileInfo next = usable.stream()
                    .filter(f -> Long.compareUnsigned(f.minTxid(), current + 1) <= 0 && Long.compareUnsigned(f.maxTxid(), current) > 0)
                    .max(AS_NEXT_STEP).orElse(null);
            if (next == null) {
                throw gap(location, all, usable, current, goal);
            }
            chain.add(next);
            pos = next.maxTxid();
        }
        return new RestorePlan(chain, goal);
    }

    private static IOException gap(String location, List<LtxFileInfo> all, List<LtxFileInfo> usable, long pos, long goal) {
        LtxFileInfo straddling = all.stream()
                .filter(f -> Long.compareUnsigned(f.minTxid(), pos + 1) <= 0 && Long.compareUnsigned(f.maxTxid(), goal) > 0)
                .min(AS_NEXT_STEP)
                .orElse(null); // the smallest such file: the one that explains why
        // A file holding the goal inside it explains the gap; at the start only a merged first
        // file does (a snapshot there is the case below: no start at or before the goal).
        if (straddling != null && (pos != 0 || (straddling.minTxid() == 1 && straddling.level() != LtxFileInfo.SNAPSHOT_LEVEL))) {
            String restorable = pos != 0
                    ? "the nearest restorable TXIDs are %s and %s".formatted(Txid.format(pos), Txid.format(straddling.maxTxid()))
                    : "the oldest restorable TXID is " + Txid.format(straddling.maxTxid());
            return new IOException(("replica %s: TXID %s lies inside level %d file %s, which holds TXIDs %s-%s as one unit (merged on upload "
                    + "or by compaction); %s").formatted(location, Txid.format(goal), straddling.level(), straddling.fileName(),
                    Txid.format(straddling.minTxid()), Txid.format(straddling.maxTxid()), restorable));
        }
        if (pos == 0) {
            OptionalLong oldestSnapshot = all.stream().filter(f -> f.minTxid() == 1).mapToLong(LtxFileInfo::maxTxid)
                    .reduce((a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b);
            return new IOException("replica %s: no snapshot to start from at or before TXID %s (no file with TXID range starting at %s in levels 0-9%s)"
                    .formatted(location, Txid.format(goal), Txid.format(1), oldestSnapshot.isPresent()
                            ? "; the oldest restorable TXID is " + Txid.format(oldestSnapshot.getAsLong()) + ", older files were removed by retention"
                            : ""));
        }
        long nextMin = usable.stream().mapToLong(LtxFileInfo::minTxid).filter(m -> Long.compareUnsigned(m, pos + 1) > 0)
                .reduce(goal + 1, (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b);
        long missingTo = Long.compareUnsigned(nextMin - 1, goal) < 0 ? nextMin - 1 : goal;
        return new IOException("replica %s: TXIDs %s-%s are missing (searched levels 0-9); the files reach %s"
                .formatted(location, Txid.format(pos + 1), Txid.format(missingTo), Txid.format(pos)));
    }
}
