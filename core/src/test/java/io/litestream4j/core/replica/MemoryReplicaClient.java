package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A replica held in memory, for tests that write thousands of files (no fsync per file); it
 * follows the {@link ReplicaClient} contract like the real ones.
 */
public final class MemoryReplicaClient implements ReplicaClient, RangedReads, BatchDelete {
    private record Stored(byte[] data, Instant createdAt) {}

    private final String location;
    private final Map<Integer, TreeMap<TxidRange, Stored>> levels = new TreeMap<>();

    public MemoryReplicaClient(String location) {
        this.location = location;
    }

    @Override
    public String type() {
        return "memory";
    }

    @Override
    public String location() {
        return location;
    }

    private TreeMap<TxidRange, Stored> level(int level) {
        return levels.computeIfAbsent(level, l -> new TreeMap<>(Comparator.comparing(TxidRange::min, Long::compareUnsigned)
                .thenComparing(TxidRange::max, Long::compareUnsigned)));
    }

    @Override
    public synchronized List<LtxFileInfo> listFiles(int level, long fromTxid) {
        return level(level).entrySet().stream().filter(e -> Long.compareUnsigned(e.getKey().max(), fromTxid) >= 0)
                .map(e -> new LtxFileInfo(level, e.getKey(), e.getValue().data().length, e.getValue().createdAt())).toList();
    }

    @Override
    public synchronized InputStream open(int level, TxidRange range) throws IOException {
        return open(level, range, 0, -1);
    }

    @Override
    public synchronized InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        Stored s = level(level).get(range);
        if (s == null) {
            throw new NoSuchFileException("%s level %d file %s".formatted(location, level, range.fileName()));
        }
        int from = (int) Math.min(offset, s.data().length);
        int to = length < 0 ? s.data().length : (int) Math.min(s.data().length, offset + length);
        return new ByteArrayInputStream(Arrays.copyOfRange(s.data(), from, to));
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        byte[] bytes = new SizedInput(data, size, location + " level " + level + " file " + range.fileName()).readAllBytes();
        synchronized (this) {
            level(level).put(range, new Stored(bytes, createdAt));
        }
        return new LtxFileInfo(level, range, bytes.length, createdAt);
    }

    @Override
    public synchronized void delete(int level, TxidRange range) {
        level(level).remove(range);
    }

    @Override
    public synchronized void delete(int level, List<TxidRange> ranges) {
        ranges.forEach(level(level)::remove);
    }

    @Override
    public synchronized void deleteAll() {
        levels.clear();
    }
}
