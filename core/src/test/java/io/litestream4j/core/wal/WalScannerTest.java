package io.litestream4j.core.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WalScannerTest {
    @TempDir
    Path dir;

    private static WalSegment scanAll(Path wal) throws Exception {
        try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.READ)) {
            WalHeader h = WalScanner.readHeader(ch).orElseThrow();
            return WalScanner.scan(ch, h, WalHeader.SIZE, h.checksum());
        }
    }

    @Test
    void readsWhatSqliteCommitted() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 0);
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "PRAGMA wal_autocheckpoint = 0");
            TestDb.insert(c, 200, 500);
            long pages = TestDb.queryLong(c, "PRAGMA page_count");
            WalSegment s = scanAll(dir.resolve("app.db-wal"));
            assertThat(s.commit()).isEqualTo(pages);
            assertThat(s.end()).isEqualTo(Files.size(dir.resolve("app.db-wal")));
            assertThat(s.pgnos()).isSorted().contains(1);
            assertThat(s.pgnos()[s.pgnos().length - 1]).isLessThanOrEqualTo((int) pages);
        }
    }

    /** A WAL of many read chunks and commits comes out whole, read frame by frame or in chunks. */
    @Test
    void readsAWalLongerThanManyReadChunks() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 0);
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "PRAGMA wal_autocheckpoint = 0");
            for (int i = 0; i < 300; i++) {
                TestDb.insert(c, 1 + i % 7, 3000);
            }
            long pages = TestDb.queryLong(c, "PRAGMA page_count");
            Path wal = dir.resolve("app.db-wal");
            assertThat(Files.size(wal)).as("WAL size").isGreaterThan(4L << 20);
            WalSegment s = scanAll(wal);
            assertThat(s.end()).isEqualTo(Files.size(wal));
            assertThat(s.commit()).isEqualTo(pages);
            assertThat(s.pgnos()).hasSize((int) pages);
            try (FileChannel ch = FileChannel.open(wal, StandardOpenOption.READ)) {
                byte[][] read = WalScanner.readPages(ch, s, s.pageCount(), 4096);
                byte[] one = new byte[4096];
                for (int i = 0; i < s.pageCount(); i++) {
                    WalScanner.readPage(ch, s.frameOffsets()[i], one);
                    assertThat(read[i]).as("page %d", s.pgnos()[i]).isEqualTo(one);
                }
            }
        }
    }

    /** The checksum against a plain byte-by-byte reading of SQLite's definition, in both byte orders. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void checksumMatchesSqlitesDefinition(boolean bigEndian) {
        byte[] data = new byte[4096 + 24];
        new java.util.Random(7).nextBytes(data);
        int s0 = 0x1234;
        int s1 = -99;
        for (int i = 0; i < data.length; i += 8) {
            s0 += word(data, i, bigEndian) + s1;
            s1 += word(data, i + 4, bigEndian) + s0;
        }
        long sum = WalChecksum.update(bigEndian, WalChecksum.pack(0x1234, -99), data, 0, data.length);
        assertThat(WalChecksum.first(sum)).isEqualTo(s0);
        assertThat(WalChecksum.second(sum)).isEqualTo(s1);
    }

    private static int word(byte[] b, int i, boolean bigEndian) {
        int x = ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
        return bigEndian ? x : Integer.reverseBytes(x);
    }

    @Test
    void stopsBeforeAnUncommittedTransaction() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "PRAGMA wal_autocheckpoint = 0", "PRAGMA cache_size = 2");
            TestDb.insert(c, 1, 10);
            WalSegment before = scanAll(dir.resolve("app.db-wal"));
            c.setAutoCommit(false);
            // A transaction larger than the cache spills frames into the WAL before it commits.
            TestDb.exec(c, "INSERT INTO t (v) SELECT randomblob(3000) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300) SELECT x FROM n)");
            assertThat(Files.size(dir.resolve("app.db-wal"))).as("frames spilled").isGreaterThan(before.end());
            WalSegment during = scanAll(dir.resolve("app.db-wal"));
            assertThat(during.end()).isEqualTo(before.end());
            assertThat(during.commit()).isEqualTo(before.commit());
            c.commit();
            WalSegment after = scanAll(dir.resolve("app.db-wal"));
            assertThat(after.end()).isGreaterThan(before.end());
            assertThat(after.commit()).isGreaterThan(before.commit());
        }
    }

    @Test
    void stopsAtACorruptFrame() throws Exception {
        Path db = TestDb.create(dir, "app.db", 1024, 0);
        Path copy = dir.resolve("copy-wal");
        int frameSize = 1024 + WalHeader.FRAME_HEADER_SIZE;
        try (Connection c = TestDb.open(db)) {
            TestDb.exec(c, "PRAGMA wal_autocheckpoint = 0");
            for (int i = 0; i < 20; i++) {
                TestDb.insert(c, 1, 100);
            }
            Files.copy(dir.resolve("app.db-wal"), copy);
        }
        WalSegment whole = scanAll(copy);
        long frames = (Files.size(copy) - WalHeader.SIZE) / frameSize;
        long bad = frames - 5;
        byte[] b = Files.readAllBytes(copy);
        b[(int) (WalHeader.SIZE + bad * frameSize + WalHeader.FRAME_HEADER_SIZE + 100)] ^= 1;
        Files.write(copy, b);
        WalSegment cut = scanAll(copy);
        assertThat(cut.end()).isLessThanOrEqualTo(WalHeader.SIZE + bad * frameSize).isLessThan(whole.end());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void bothChecksumByteOrders(boolean bigEndian) throws Exception {
        int pageSize = 512;
        int magic = bigEndian ? WalHeader.MAGIC_BIG_ENDIAN : WalHeader.MAGIC_LITTLE_ENDIAN;
        ByteBuffer head = ByteBuffer.allocate(WalHeader.SIZE);
        head.putInt(magic).putInt(WalHeader.VERSION).putInt(pageSize).putInt(0).putInt(7).putInt(9);
        long sum = WalChecksum.update(bigEndian, 0, head.array(), 0, 24);
        head.putInt(WalChecksum.first(sum)).putInt(WalChecksum.second(sum));
        ByteArrayOutputStream wal = new ByteArrayOutputStream();
        wal.write(head.array());
        // Frames: page 1, page 2 (commit, size 2), page 1 again (no commit).
        int[][] frames = {{1, 0}, {2, 2}, {1, 0}};
        for (int[] f : frames) {
            ByteBuffer fh = ByteBuffer.allocate(WalHeader.FRAME_HEADER_SIZE + pageSize);
            fh.putInt(f[0]).putInt(f[1]).putInt(7).putInt(9);
            byte[] page = new byte[pageSize];
            java.util.Arrays.fill(page, (byte) (f[0] * 10 + f[1]));
            sum = WalChecksum.update(bigEndian, sum, fh.array(), 0, 8);
            sum = WalChecksum.update(bigEndian, sum, page, 0, pageSize);
            fh.putInt(WalChecksum.first(sum)).putInt(WalChecksum.second(sum)).put(page);
            wal.write(fh.array());
        }
        Path p = dir.resolve("synthetic-wal");
        Files.write(p, wal.toByteArray());
        WalSegment s = scanAll(p);
        int frameSize = WalHeader.FRAME_HEADER_SIZE + pageSize;
        assertThat(s.commit()).isEqualTo(2);
        assertThat(s.end()).isEqualTo(WalHeader.SIZE + 2L * frameSize);
        assertThat(s.pgnos()).containsExactly(1, 2);
        assertThat(s.frameOffsets()).containsExactly(WalHeader.SIZE, WalHeader.SIZE + frameSize);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            WalHeader h = WalScanner.readHeader(ch).orElseThrow();
            assertThat(h.bigEndianChecksums()).isEqualTo(bigEndian);
            assertThat(WalScanner.checksumBefore(ch, h, s.end())).contains(s.endChecksum());
        }
    }
}
