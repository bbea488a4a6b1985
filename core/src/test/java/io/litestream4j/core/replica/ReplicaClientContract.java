package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link ReplicaClient} must do, run against each backend by a subclass that supplies
 * a fresh, empty replica. The bytes stored are opaque to clients; the tests that check times store
 * data that starts with an LTX header carrying the time, as real LTX files do.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
public abstract class ReplicaClientContract {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00.123Z");

    protected ReplicaClient client;

    /** A client for a new, empty replica. */
    protected abstract ReplicaClient newClient() throws Exception;

    /** The size of the large-file test; backends with multipart uploads make it span several parts. */
    protected int largeFileBytes() {
        return 12 << 20;
    }

    /** The writer's time of a listed file, as point-in-time restores see it (from the backend, else the file's header). */
    private LtxFileInfo exact(int level, int index) throws IOException {
        return ExactListings.list(client, level, 0).get(index);
    }

    @BeforeEach
    void open() throws Exception {
        client = newClient();
    }

    @AfterEach
    void close() throws Exception {
        client.close();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private LtxFileInfo put(int level, long min, long max, byte[] data, Instant at) throws IOException {
        return client.write(level, new TxidRange(min, max), new ByteArrayInputStream(data), data.length, at);
    }

    /**
     * {@code data}, starting with an LTX header that carries {@code at}, as every real LTX file
     * does: a backend whose listing lacks the writer's time is read from there ({@link ExactListings}).
     */
    private static byte[] timed(byte[] data, long min, long max, Instant at) {
        io.litestream4j.ltx.LtxHeader.of(4096, 1, min, max, at.toEpochMilli(), 0).withFlags(io.litestream4j.ltx.LtxHeader.FLAG_NO_CHECKSUM)
                .writeTo(data, 0);
        return data;
    }

    private byte[] read(int level, long min, long max, long offset, long length) throws IOException {
        try (InputStream in = ReplicaReads.open(client, level, new TxidRange(min, max), offset, length)) {
            return in.readAllBytes();
        }
    }

    @Test
    void anEmptyReplicaListsNothingAndOpensNothing() throws Exception {
        for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
            assertThat(client.listFiles(level, 0)).as("level %d", level).isEmpty();
        }
        assertThatThrownBy(() -> client.open(0, new TxidRange(1, 1))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("0000000000000001-0000000000000001.ltx");
        assertThat(client.type()).isNotBlank();
        assertThat(client.location()).isNotBlank();
    }

    @Test
    void listsAreSortedByTxidFilteredByMaxAndKeptPerLevel() throws Exception {
        put(0, 3, 3, timed(bytes(110, 3), 3, 3, T0), T0);
        put(0, 1, 1, timed(bytes(111, 1), 1, 1, T0), T0);
        put(0, 0x10, 0x10, timed(bytes(112, 16), 0x10, 0x10, T0), T0); // hex names: 0x10 sorts after 0x3
        put(0, 2, 2, timed(bytes(113, 2), 2, 2, T0.plusSeconds(5)), T0.plusSeconds(5));
        put(1, 1, 3, bytes(14, 4), T0);
        put(9, 1, 0x10, bytes(15, 5), T0);

        List<LtxFileInfo> l0 = client.listFiles(0, 0);
        assertThat(l0).extracting(f -> f.range().min()).containsExactly(1L, 2L, 3L, 0x10L);
        assertThat(l0).allMatch(f -> f.level() == 0);
        assertThat(l0.get(1).size()).isEqualTo(113);
        assertThat(exact(0, 1).createdAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(client.listFiles(0, 3)).extracting(f -> f.range().min()).containsExactly(3L, 0x10L);
        assertThat(client.listFiles(0, 0x11)).isEmpty();
        assertThat(client.listFiles(1, 0)).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, 3));
        assertThat(client.listFiles(9, 0)).extracting(LtxFileInfo::range).containsExactly(new TxidRange(1, 0x10));
        assertThat(client.listFiles(2, 0)).isEmpty();
    }

    @Test
    void writeReturnsWhatListReports() throws Exception {
        LtxFileInfo written = put(2, 5, 9, timed(bytes(1000, 7), 5, 9, T0), T0);
        assertThat(written.level()).isEqualTo(2);
        assertThat(written.range()).isEqualTo(new TxidRange(5, 9));
        assertThat(written.size()).isEqualTo(1000);
        LtxFileInfo listed = client.listFiles(2, 0).getFirst();
        assertThat(listed.range()).isEqualTo(written.range());
        assertThat(listed.size()).isEqualTo(written.size());
        // A listing may report the upload time; the exact listing reports the time the writer recorded.
        LtxFileInfo exact = exact(2, 0);
        assertThat(exact.range()).isEqualTo(written.range());
        assertThat(exact.createdAt()).isEqualTo(T0);
    }

    @Test
    void rangeReads() throws Exception {
        byte[] data = bytes(100_000, 9);
        put(0, 1, 1, data, T0);
        assertThat(read(0, 1, 1, 0, -1)).isEqualTo(data);
        assertThat(read(0, 1, 1, 0, 10)).isEqualTo(Arrays.copyOfRange(data, 0, 10));
        assertThat(read(0, 1, 1, 99_000, 500)).isEqualTo(Arrays.copyOfRange(data, 99_000, 99_500));
        assertThat(read(0, 1, 1, 99_990, -1)).isEqualTo(Arrays.copyOfRange(data, 99_990, 100_000));
        assertThat(read(0, 1, 1, 99_990, 1000)).as("a range past the end stops at the end").isEqualTo(Arrays.copyOfRange(data, 99_990, 100_000));
        assertThat(read(0, 1, 1, 200_000, 10)).as("a range that starts past the end is empty").isEmpty();
    }

    /** A store's own ranged reads ({@link RangedReads}) give what reading the whole file and skipping gives. */
    @Test
    void theStoresRangedReadsEqualTheWholeFileCut() throws Exception {
        byte[] data = bytes(70_000, 4);
        put(0, 1, 1, data, T0);
        var ranged = client.capability(RangedReads.class);
        long[][] parts = {{0, 100}, {1, 1}, {65_536, 4_464}, {69_999, 50}, {70_000, 5}, {80_000, -1}, {123, -1}};
        for (long[] part : parts) {
            int from = (int) Math.min(part[0], data.length);
            int to = part[1] < 0 ? data.length : (int) Math.min(data.length, part[0] + part[1]);
            byte[] want = Arrays.copyOfRange(data, from, to);
            assertThat(read(0, 1, 1, part[0], part[1])).as("offset %d length %d", part[0], part[1]).isEqualTo(want);
            if (ranged.isPresent()) {
                try (InputStream in = ranged.get().open(0, new TxidRange(1, 1), part[0], part[1])) {
                    assertThat(in.readAllBytes()).as("the store's own read of offset %d length %d", part[0], part[1]).isEqualTo(want);
                }
            }
        }
    }

    @Test
    void overwriteReplacesTheFile() throws Exception {
        put(0, 1, 1, bytes(500, 1), T0);
        byte[] second = bytes(300, 2);
        put(0, 1, 1, second, T0.plusSeconds(1));
        assertThat(client.listFiles(0, 0)).hasSize(1).first().extracting(LtxFileInfo::size).isEqualTo(300L);
        assertThat(read(0, 1, 1, 0, -1)).isEqualTo(second);
    }

    @Test
    void deleteRemovesOnlyTheNamedFilesAndToleratesMissingOnes() throws Exception {
        for (long t = 1; t <= 5; t++) {
            put(0, t, t, bytes(20, t), T0);
        }
        put(1, 1, 5, bytes(20, 9), T0);
        ReplicaDeletes.delete(client, 0, List.of(new TxidRange(2, 2), new TxidRange(4, 4), new TxidRange(77, 77)));
        assertThat(client.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L, 3L, 5L);
        assertThat(client.listFiles(1, 0)).hasSize(1);
        ReplicaDeletes.delete(client, 0, List.of());
        client.delete(0, new TxidRange(3, 3));
        client.delete(0, new TxidRange(3, 3)); // already gone: no error
        assertThat(client.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L, 5L);
        assertThatThrownBy(() -> client.open(0, new TxidRange(2, 2))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void deletesManyFilesAtOnce() throws Exception {
        int n = 1100; // more than one S3 DeleteObjects batch
        for (long t = 1; t <= n; t++) {
            put(0, t, t, new byte[] {(byte) t}, T0);
        }
        assertThat(client.listFiles(0, 0)).hasSize(n);
        ReplicaDeletes.delete(client, 0, java.util.stream.LongStream.rangeClosed(1, n - 1).mapToObj(t -> new TxidRange(t, t)).toList());
        assertThat(client.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly((long) n);
    }

    @Test
    void deleteAllEmptiesEveryLevel() throws Exception {
        put(0, 1, 1, bytes(10, 1), T0);
        put(3, 1, 1, bytes(10, 1), T0);
        put(9, 1, 1, bytes(10, 1), T0);
        client.deleteAll();
        for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
            assertThat(client.listFiles(level, 0)).isEmpty();
        }
        client.deleteAll(); // on an empty replica: nothing to do, no error
    }

    @Test
    void largeFilesRoundTrip() throws Exception {
        byte[] data = bytes(largeFileBytes(), 42);
        LtxFileInfo info = put(9, 1, 1000, data, T0);
        assertThat(info.size()).isEqualTo(data.length);
        assertThat(read(9, 1, 1000, 0, -1)).isEqualTo(data);
        int mid = data.length / 2;
        assertThat(read(9, 1, 1000, mid, 4096)).isEqualTo(Arrays.copyOfRange(data, mid, mid + 4096));
    }

    @Test
    void aWriteWhoseInputFailsHalfWayStoresNothing() throws Exception {
        byte[] data = bytes(largeFileBytes(), 11);
        InputStream failing = new java.io.FilterInputStream(new ByteArrayInputStream(data)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > data.length / 2) {
                    throw new IOException("disk read failed half-way");
                }
                int n = super.read(b, off, Math.min(len, 64 << 10));
                read += Math.max(n, 0);
                return n;
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }
        };
        assertThatThrownBy(() -> client.write(0, new TxidRange(1, 1), failing, data.length, T0)).isInstanceOf(IOException.class);
        assertThat(client.listFiles(0, 0)).as("a failed write leaves no file").isEmpty();
        assertThatThrownBy(() -> client.open(0, new TxidRange(1, 1))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void anInputShorterOrLongerThanItsSizeIsAnErrorAndStoresNothing() throws Exception {
        byte[] data = bytes(1000, 12);
        assertThatThrownBy(() -> client.write(0, new TxidRange(1, 1), new ByteArrayInputStream(data), 1001, T0))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> client.write(0, new TxidRange(2, 2), new ByteArrayInputStream(data), 999, T0))
                .isInstanceOf(IOException.class);
        assertThat(client.listFiles(0, 0)).isEmpty();
    }

    @Test
    void anInputThatGivesOneByteAtATimeIsStoredWhole() throws Exception {
        byte[] data = bytes(70_000, 13);
        InputStream trickle = new java.io.FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }

            @Override
            public int available() {
                return 0;
            }
        };
        LtxFileInfo info = client.write(0, new TxidRange(1, 1), trickle, data.length, T0);
        assertThat(info.size()).isEqualTo(data.length);
        assertThat(read(0, 1, 1, 0, -1)).isEqualTo(data);
    }

    @Test
    void anOverwriteIsWhatTheListingReports() throws Exception {
        put(0, 1, 1, bytes(500, 1), T0);
        assertThat(client.listFiles(0, 0)).extracting(LtxFileInfo::size).containsExactly(500L);
        put(0, 1, 1, timed(bytes(2000, 2), 1, 1, T0.plusSeconds(3)), T0.plusSeconds(3));
        assertThat(client.listFiles(0, 0)).extracting(LtxFileInfo::size).containsExactly(2000L);
        assertThat(exact(0, 0).createdAt()).isEqualTo(T0.plusSeconds(3));
    }

    @Test
    void concurrentWritersOfDifferentFilesAllLand() throws Exception {
        int writers = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        try {
            List<java.util.concurrent.Future<LtxFileInfo>> done = new java.util.ArrayList<>();
            for (int i = 1; i <= writers; i++) {
                long txid = i;
                done.add(pool.submit(() -> put(0, txid, txid, bytes(10_000 + (int) txid, txid), T0)));
            }
            for (var f : done) {
                f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(client.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        for (long t = 1; t <= writers; t++) {
            assertThat(read(0, t, t, 0, -1)).as("file %d", t).isEqualTo(bytes(10_000 + (int) t, t));
        }
    }
}
