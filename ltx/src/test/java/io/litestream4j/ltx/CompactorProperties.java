package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Compacting a run of files equals applying them one by one. The model database is a map of pages;
 * applying a file truncates it to the file's commit and then writes the file's pages; a page within
 * the commit that was never written reads as zeros, as it does in a real file.
 */
class CompactorProperties {
    private static final int PAGE_SIZE = 512;

    /** Applies a decoded file to the model. */
    static void apply(SortedMap<Integer, byte[]> db, TestFiles.Decoded file) {
        db.tailMap(file.header().commit() + 1).clear();
        db.putAll(file.pages());
    }

    /** The model as a full database: every page 1..commit, zeros where never written. */
    static SortedMap<Integer, byte[]> materialize(SortedMap<Integer, byte[]> db, int commit) {
        SortedMap<Integer, byte[]> full = new TreeMap<>();
        for (int pgno = 1; pgno <= commit; pgno++) {
            full.put(pgno, db.getOrDefault(pgno, new byte[PAGE_SIZE]));
        }
        return full;
    }

    /** A run of files: a snapshot, then increments whose commits grow and shrink at random. */
    static List<byte[]> randomRun(Random random, boolean withSnapshot, boolean noChecksum) throws IOException {
        List<byte[]> files = new ArrayList<>();
        SortedMap<Integer, byte[]> db = new TreeMap<>();
        int commit = 1 + random.nextInt(12);
        long txid = 1;
        if (withSnapshot) {
            for (int pgno = 1; pgno <= commit; pgno++) {
                db.put(pgno, RoundTripProperties.randomPage(random, PAGE_SIZE));
            }
            files.add(TestFiles.snapshot(PAGE_SIZE, db, 1, PageEncoding.BLOCK));
        } else {
            txid = 10;
            for (int pgno = 1; pgno <= commit; pgno++) {
                db.put(pgno, RoundTripProperties.randomPage(random, PAGE_SIZE));
            }
        }
        int count = 1 + random.nextInt(8);
        for (int f = 0; f < count; f++) {
            long pre = TestFiles.checksumOf(materialize(db, commit));
            commit = Math.max(1, commit + random.nextInt(9) - 4);
            SortedMap<Integer, byte[]> pages = new TreeMap<>();
            for (int pgno = 1; pgno <= commit; pgno++) {
                if (random.nextInt(3) == 0) {
                    pages.put(pgno, RoundTripProperties.randomPage(random, PAGE_SIZE));
                }
            }
            db.tailMap(commit + 1).clear();
            db.putAll(pages);
            long post = TestFiles.checksumOf(materialize(db, commit));
            long min = txid + 1;
            txid = min + random.nextInt(3);
            LtxHeader header = noChecksum
                    ? new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, PAGE_SIZE, commit, min, txid, f, 0, 0, 0, 0, 0, 0)
                    : LtxHeader.of(PAGE_SIZE, commit, min, txid, f, pre);
            files.add(TestFiles.encode(header, pages, noChecksum ? 0 : post, PageEncoding.BLOCK));
        }
        return files;
    }

    static byte[] compact(List<byte[]> files) throws IOException {
        List<LtxDecoder> decoders = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            decoders.add(new LtxDecoder(new ByteArrayInputStream(files.get(i)), "input-" + i + ".ltx"));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(decoders, out, "compacted.ltx");
        return out.toByteArray();
    }

    @Property(tries = 150)
    void compactingEqualsApplyingOneByOne(@ForAll long seed) throws IOException {
        Random random = new Random(seed);
        boolean withSnapshot = random.nextBoolean();
        boolean noChecksum = random.nextInt(4) == 0;
        List<byte[]> files = randomRun(random, withSnapshot, noChecksum);
        int from = withSnapshot ? 0 : 0;
        int to = from + random.nextInt(files.size() - from) + 1;
        List<byte[]> run = files.subList(from, to);

        // Start both sides from the same base: random pages for increment-only runs.
        SortedMap<Integer, byte[]> base = new TreeMap<>();
        if (!withSnapshot) {
            for (int pgno = 1; pgno <= 20; pgno++) {
                base.put(pgno, RoundTripProperties.randomPage(new Random(seed + pgno), PAGE_SIZE));
            }
        }
        SortedMap<Integer, byte[]> oneByOne = new TreeMap<>(base);
        TestFiles.Decoded last = null;
        for (byte[] f : run) {
            last = TestFiles.decode(f);
            apply(oneByOne, last);
        }
        TestFiles.Decoded compacted = TestFiles.decode(compact(run));
        SortedMap<Integer, byte[]> merged = new TreeMap<>(base);
        apply(merged, compacted);

        int commit = last.header().commit();
        assertThat(compacted.header().commit()).isEqualTo(commit);
        assertThat(compacted.header().minTxid()).isEqualTo(TestFiles.decode(run.getFirst()).header().minTxid());
        assertThat(compacted.header().maxTxid()).isEqualTo(last.header().maxTxid());
        assertThat(compacted.header().timestamp()).isEqualTo(last.header().timestamp());
        assertThat(compacted.trailer().postApplyChecksum()).isEqualTo(last.trailer().postApplyChecksum());
        assertThat(compacted.pages().keySet()).allMatch(pgno -> pgno <= commit);
        var expected = materialize(oneByOne, commit);
        var actual = materialize(merged, commit);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (int pgno : expected.keySet()) {
            assertThat(actual.get(pgno)).as("seed %d page %d", seed, pgno).isEqualTo(expected.get(pgno));
        }
    }

    @Test
    void aPageTruncatedAndNotRewrittenComesBackAsZeros() throws IOException {
        SortedMap<Integer, byte[]> all = new TreeMap<>();
        for (int pgno = 1; pgno <= 4; pgno++) {
            all.put(pgno, TestFiles.page(PAGE_SIZE, pgno));
        }
        byte[] snapshot = TestFiles.snapshot(PAGE_SIZE, all, 1, PageEncoding.BLOCK);
        byte[] shrink = TestFiles.encode(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, PAGE_SIZE, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0),
                new TreeMap<>(), 0, PageEncoding.BLOCK);
        SortedMap<Integer, byte[]> regrow = new TreeMap<>();
        regrow.put(3, TestFiles.page(PAGE_SIZE, 33));
        byte[] grow = TestFiles.encode(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, PAGE_SIZE, 4, 3, 3, 0, 0, 0, 0, 0, 0, 0),
                regrow, 0, PageEncoding.BLOCK);
        var compacted = TestFiles.decode(compact(List.of(snapshot, shrink, grow)));
        assertThat(compacted.header().isSnapshot()).isTrue();
        assertThat(compacted.pages()).containsOnlyKeys(1, 2, 3, 4);
        assertThat(compacted.pages().get(3)).isEqualTo(TestFiles.page(PAGE_SIZE, 33));
        assertThat(compacted.pages().get(4)).isEqualTo(new byte[PAGE_SIZE]);
        assertThat(compacted.header().noChecksum()).isTrue();
    }

    @Test
    void rejectsRunsWithAGap() throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(1, TestFiles.page(PAGE_SIZE, 1));
        byte[] a = TestFiles.encode(LtxHeader.of(PAGE_SIZE, 1, 2, 3, 0, Checksums.FLAG), pages, Checksums.FLAG | 1, PageEncoding.BLOCK);
        byte[] b = TestFiles.encode(LtxHeader.of(PAGE_SIZE, 1, 5, 5, 0, Checksums.FLAG), pages, Checksums.FLAG | 1, PageEncoding.BLOCK);
        assertThatThrownBy(() -> compact(List.of(a, b)))
                .hasMessageContaining("ltx file input-1.ltx: txids 0000000000000005-0000000000000005 do not continue 0000000000000002-0000000000000003 of input-0.ltx");
    }

    @Test
    void rejectsMixedPageSizes() throws IOException {
        byte[] a = TestFiles.encode(LtxHeader.of(512, 1, 2, 2, 0, Checksums.FLAG), new TreeMap<>(), Checksums.FLAG | 1, PageEncoding.BLOCK);
        byte[] b = TestFiles.encode(LtxHeader.of(1024, 1, 3, 3, 0, Checksums.FLAG), new TreeMap<>(), Checksums.FLAG | 1, PageEncoding.BLOCK);
        assertThatThrownBy(() -> compact(List.of(a, b))).hasMessageContaining("page size: want 512 like input-0.ltx, got 1024");
    }
}
