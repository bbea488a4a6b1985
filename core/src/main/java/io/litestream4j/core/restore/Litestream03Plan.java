package io.litestream4j.core.restore;

import io.litestream4j.NoBackupException;
import io.litestream4j.core.replica.LegacyLayout.LegacyFile;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What restoring a Litestream 0.3 backup reads, chosen from a listing of its files:
 *
 * <pre>
 * generations/&lt;generation, 16 hex&gt;/snapshots/&lt;index %08x&gt;.snapshot.lz4      the database file at the start of an index
 * generations/&lt;generation&gt;/wal/&lt;index %08x&gt;_&lt;offset %08x&gt;.wal.lz4         bytes of that index's WAL from offset on
 * </pre>
 *
 * The generation with the newest file (at or before the target time), its newest snapshot at or
 * before the target, then every WAL segment of that index and the later ones, in order. Each
 * index's segments must start at offset 0 and follow one another without a gap: a gap is an error
 * naming the missing bytes, never a silent stop. File times are the store's (0.3 kept no other).
 *
 * @param generation the generation restored
 * @param snapshot the snapshot applied first
 * @param wal per WAL index (from the snapshot's on), its segments in offset order
 */
public record Litestream03Plan(String generation, Segment snapshot, Map<Integer, List<Segment>> wal) {
    private static final Pattern SNAPSHOT = Pattern.compile("generations/([0-9a-f]{16})/snapshots/([0-9a-f]{8,16})\\.snapshot\\.lz4");
    private static final Pattern WAL = Pattern.compile("generations/([0-9a-f]{16})/wal/([0-9a-f]{8,16})_([0-9a-f]{8,16})\\.wal\\.lz4");

    /** A file of the backup; {@code offset} is 0 for snapshots. */
    public record Segment(LegacyFile file, int index, long offset) {}

    public List<Segment> files() {
        List<Segment> all = new ArrayList<>();
        all.add(snapshot);
        wal.values().forEach(all::addAll);
        return all;
    }

    public long totalBytes() {
        return files().stream().mapToLong(s -> s.file().size()).sum();
    }

    /** The plan for the newest state ({@code target} null) or the state as of {@code target}. */
    public static Litestream03Plan plan(String location, List<LegacyFile> listing, Instant target) throws IOException {
        Map<String, List<Segment>> snapshots = new TreeMap<>();
        Map<String, List<Segment>> segments = new TreeMap<>();
        for (LegacyFile f : listing) {
            if (target != null && f.modified().isAfter(target)) {
                continue;
            }
            Matcher s = SNAPSHOT.matcher(f.path());
            Matcher w = WAL.matcher(f.path());
            if (s.matches()) {
                snapshots.computeIfAbsent(s.group(1), g -> new ArrayList<>()).add(new Segment(f, hex(s.group(2)), 0));
            } else if (w.matches()) {
                segments.computeIfAbsent(w.group(1), g -> new ArrayList<>()).add(new Segment(f, hex(w.group(2)), Long.parseLong(w.group(3), 16)));
            }
        }
        // The generation updated last, among those with a snapshot to start from.
        String generation = snapshots.keySet().stream()
                .max(Comparator.comparing(g -> newest(snapshots.get(g), segments.getOrDefault(g, List.of())))).orElse(null);
        if (generation == null) {
            throw new NoBackupException(target == null
                    ? "replica %s: no Litestream 0.3 snapshot under generations/".formatted(location)
                    : "replica %s: no Litestream 0.3 snapshot written at or before %s".formatted(location, target));
        }
        Segment snapshot = snapshots.get(generation).stream().max(Comparator.comparingInt(Segment::index)).orElseThrow();
        Map<Integer, List<Segment>> wal = new TreeMap<>();
        for (Segment s : segments.getOrDefault(generation, List.of())) {
            if (s.index() >= snapshot.index()) {
                wal.computeIfAbsent(s.index(), i -> new ArrayList<>()).add(s);
            }
        }
        int expected = snapshot.index();
        for (Map.Entry<Integer, List<Segment>> e : wal.entrySet()) {
            if (e.getKey() != expected) {
                throw new IOException("replica %s generation %s: WAL index %08x is missing (have %08x after the snapshot at %08x)"
                        .formatted(location, generation, expected, e.getKey(), snapshot.index()));
            }
            e.getValue().sort(Comparator.comparingLong(Segment::offset));
            if (e.getValue().getFirst().offset() != 0) {
                throw new IOException("replica %s generation %s: WAL index %08x starts at offset %08x, not 0 (its first segment is missing)"
                        .formatted(location, generation, e.getKey(), e.getValue().getFirst().offset()));
            }
            expected++;
        }
        return new Litestream03Plan(generation, snapshot, wal);
    }

    private static Instant newest(List<Segment> a, List<Segment> b) {
        Instant max = Instant.MIN;
        for (List<Segment> l : List.of(a, b)) {
            for (Segment s : l) {
                max = s.file().modified().isAfter(max) ? s.file().modified() : max;
            }
        }
        return max;
    }

    private static int hex(String s) {
        return (int) HexFormat.fromHexDigitsToLong(s);
    }
}
