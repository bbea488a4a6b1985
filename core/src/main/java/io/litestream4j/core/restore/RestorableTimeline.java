package io.litestream4j.core.restore;

import io.litestream4j.ltx.LtxFileInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Which state a point-in-time restore of each moment gets from a set of replica files, computed
 * without planning each restore: the same answer as {@link RestorePlanner#planAt}, which restores
 * the newest TXID that a file created at or before the moment reached and that a chain from a
 * snapshot can rebuild exactly.
 *
 * <p>A TXID is rebuildable when a chain of files starting at TXID 1 ends exactly on it; taking
 * files by ascending max TXID, a file's max is reachable when some reachable TXID (or 0) lies in
 * {@code [min - 1, max - 1]}, which is the planner's rule ({@code min <= current + 1},
 * {@code max > current}). The planner's greedy choice finds a chain whenever one exists, so the
 * two agree.
 */
public final class RestorableTimeline {
    private static final Comparator<Long> UNSIGNED = Long::compareUnsigned;

    /** Creation times of the files whose max TXID is rebuildable, ascending, in epoch millis. */
    private final long[] times;
    /** The highest rebuildable TXID of the files created at or before {@code times[i]}. */
    private final long[] newest;

    /** Every TXID a chain from a snapshot ends on exactly (and 0). */
    private final TreeSet<Long> reachable;

    private RestorableTimeline(long[] times, long[] newest, TreeSet<Long> reachable) {
        this.times = times;
        this.newest = newest;
        this.reachable = reachable;
    }

    public static RestorableTimeline of(Collection<LtxFileInfo> files) {
        List<LtxFileInfo> byMax = new ArrayList<>(files);
        byMax.sort(Comparator.comparing(LtxFileInfo::maxTxid, UNSIGNED));
        TreeSet<Long> reachable = new TreeSet<>(UNSIGNED);
        reachable.add(0L);
        List<LtxFileInfo> ends = new ArrayList<>();
        for (LtxFileInfo f : byMax) {
            Long from = reachable.ceiling(f.minTxid() - 1);
            if (from != null && Long.compareUnsigned(from, f.maxTxid()) < 0) {
                reachable.add(f.maxTxid());
                ends.add(f);
            }
        }
        ends.sort(Comparator.comparing(LtxFileInfo::createdAt));
        long[] times = new long[ends.size()];
        long[] newest = new long[ends.size()];
        long best = 0;
        for (int i = 0; i < ends.size(); i++) {
            LtxFileInfo f = ends.get(i);
            best = Long.compareUnsigned(f.maxTxid(), best) > 0 ? f.maxTxid() : best;
            times[i] = f.createdAt().toEpochMilli();
            newest[i] = best;
        }
        return new RestorableTimeline(times, newest, reachable);
    }

    /** Whether the files rebuild exactly the state of {@code txid}. */
    public boolean rebuildable(long txid) {
        return txid != 0 && reachable.contains(txid);
    }

    /** The TXID a restore of {@code moment} gets; empty if none (no rebuildable file is that old). */
    public OptionalLong txidAt(Instant moment) {
        int i = lastAtOrBefore(moment.toEpochMilli());
        return i < 0 ? OptionalLong.empty() : OptionalLong.of(newest[i]);
    }

    /** The earliest moment after {@code moment} at which a restore gets a newer state than at {@code moment}; empty if none. */
    public java.util.Optional<Instant> nextChangeAfter(Instant moment) {
        int i = lastAtOrBefore(moment.toEpochMilli());
        long current = i < 0 ? 0 : newest[i];
        for (int j = i + 1; j < times.length; j++) {
            if (i < 0 || newest[j] != current) {
                return java.util.Optional.of(Instant.ofEpochMilli(times[j]));
            }
        }
        return java.util.Optional.empty();
    }

    /** The creation times at which the restorable state may change, ascending. */
    public List<Instant> changeTimes() {
        List<Instant> out = new ArrayList<>(times.length);
        for (long t : times) {
            out.add(Instant.ofEpochMilli(t));
        }
        return out;
    }

    private int lastAtOrBefore(long millis) {
        int lo = 0;
        int hi = times.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (times[mid] <= millis) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
