package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever pages go in come back out, for every page size and both encodings. */
class RoundTripProperties {
    @Provide
    Arbitrary<Integer> pageSizes() {
        return Arbitraries.of(512, 1024, 2048, 4096, 8192, 16384, 32768, 65536);
    }

    /** Random contents: zeros, random bytes, runs, or a mix, so LZ4 meets both literals and matches. */
    static byte[] randomPage(Random random, int pageSize) {
        byte[] b = new byte[pageSize];
        switch (random.nextInt(4)) {
            case 0 -> { }
            case 1 -> random.nextBytes(b);
            case 2 -> java.util.Arrays.fill(b, (byte) random.nextInt());
            default -> {
                random.nextBytes(b);
                int from = random.nextInt(pageSize);
                java.util.Arrays.fill(b, from, from + random.nextInt(pageSize - from + 1), (byte) 7);
            }
        }
        return b;
    }

    @Property(tries = 60)
    void incrementalFilesRoundTrip(@ForAll("pageSizes") int pageSize, @ForAll long seed) throws IOException {
        Random random = new Random(seed);
        int commit = 1 + random.nextInt(40);
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        for (int pgno = 1; pgno <= commit; pgno++) {
            if (random.nextInt(3) == 0) {
                pages.put(pgno, randomPage(random, pageSize));
            }
        }
        boolean noChecksum = random.nextBoolean();
        LtxHeader header = new LtxHeader(noChecksum ? LtxHeader.FLAG_NO_CHECKSUM : 0, pageSize, commit, 2 + random.nextInt(100),
                200 + random.nextInt(100), random.nextLong() >>> 1, noChecksum ? 0 : Checksums.FLAG | random.nextLong(),
                32, 4096, random.nextInt(), random.nextInt(), random.nextLong());
        long postApply = noChecksum ? 0 : Checksums.FLAG | random.nextLong();
        for (PageEncoding encoding : PageEncoding.values()) {
            var decoded = TestFiles.decode(TestFiles.encode(header, pages, postApply, encoding));
            assertThat(decoded.header()).isEqualTo(header);
            assertThat(decoded.samePages(pages)).as("seed %d, %s", seed, encoding).isTrue();
            assertThat(decoded.trailer().postApplyChecksum()).isEqualTo(postApply);
        }
    }

    @Property(tries = 40)
    void snapshotsRoundTripWithVerifiedChecksums(@ForAll("pageSizes") int pageSize, @ForAll long seed) throws IOException {
        Random random = new Random(seed);
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        int commit = random.nextInt(30);
        for (int pgno = 1; pgno <= commit; pgno++) {
            pages.put(pgno, randomPage(random, pageSize));
        }
        for (PageEncoding encoding : PageEncoding.values()) {
            byte[] file = TestFiles.snapshot(pageSize, pages, 1 + random.nextInt(9), encoding);
            var decoded = TestFiles.decode(file);
            assertThat(decoded.samePages(pages)).as("seed %d", seed).isTrue();
            assertThat(decoded.trailer().postApplyChecksum()).isEqualTo(TestFiles.checksumOf(pages));
        }
    }

    /** An incremental file of random pages among 1..commit (commit up to {@code maxCommit}), in a random encoding. */
    record RandomFile(SortedMap<Integer, byte[]> pages, int commit, byte[] bytes) {
        static RandomFile of(Random random, int pageSize, int maxCommit) throws IOException {
            SortedMap<Integer, byte[]> pages = new TreeMap<>();
            int commit = 1 + random.nextInt(maxCommit);
            for (int pgno = 1; pgno <= commit; pgno++) {
                if (random.nextBoolean()) {
                    pages.put(pgno, randomPage(random, pageSize));
                }
            }
            PageEncoding encoding = random.nextBoolean() ? PageEncoding.BLOCK : PageEncoding.FRAME;
            LtxHeader header = LtxHeader.of(pageSize, commit, 3, 3, 0, Checksums.FLAG | 1);
            return new RandomFile(pages, commit, TestFiles.encode(header, pages, Checksums.FLAG | 2, encoding));
        }
    }

    @Property(tries = 40)
    void singlePageReadsMatch(@ForAll("pageSizes") int pageSize, @ForAll long seed) throws IOException {
        RandomFile made = RandomFile.of(new Random(seed), pageSize, 30);
        SortedMap<Integer, byte[]> pages = made.pages();
        int commit = made.commit();
        byte[] file = made.bytes();
        LtxPageReader reader = LtxPageReader.open(LtxDecoderStrictnessTest.inMemory(file), "test.ltx");
        byte[] page = new byte[pageSize];
        for (int pgno = 1; pgno <= commit; pgno++) {
            boolean found = reader.readPage(pgno, page);
            assertThat(found).isEqualTo(pages.containsKey(pgno));
            if (found) {
                assertThat(page).isEqualTo(pages.get(pgno));
            }
        }
    }

    /**
     * One read buffer reused for file after file (as each restore worker does) decodes every file
     * exactly as a decoder with a buffer of its own: what an earlier file left in the buffer never
     * shows through, whether the buffer is shorter than a frame (it grows) or longer than a file.
     */
    @Property(tries = 40)
    void aReusedReadBufferDecodesEachFileAsAFreshOne(@ForAll("pageSizes") int pageSize, @ForAll long seed,
            @ForAll @net.jqwik.api.constraints.IntRange(min = LtxHeader.SIZE, max = 300_000) int bufferSize) throws IOException {
        Random random = new Random(seed);
        byte[] buffer = new byte[bufferSize];
        for (int file = 0; file < 3; file++) {
            RandomFile made = RandomFile.of(random, pageSize, 20);
            SortedMap<Integer, byte[]> pages = made.pages();
            byte[] bytes = made.bytes();
            var fresh = TestFiles.decode(bytes);
            SortedMap<Integer, byte[]> got = new TreeMap<>();
            try (LtxDecoder d = new LtxDecoder(new java.io.ByteArrayInputStream(bytes), "test.ltx", buffer)) {
                byte[] page = new byte[pageSize];
                int pgno;
                while ((pgno = d.readPage(page)) != 0) {
                    got.put(pgno, page.clone());
                }
                assertThat(d.trailer()).isEqualTo(fresh.trailer());
            }
            assertThat(fresh.samePages(got)).as("seed %d, file %d", seed, file).isTrue();
            assertThat(fresh.samePages(pages)).isTrue();
        }
    }

    @org.junit.jupiter.api.Test
    void aReadBufferShorterThanTheHeaderIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LtxDecoder(new java.io.ByteArrayInputStream(new byte[0]), "x", new byte[99]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("want at least 100 bytes, got 99");
    }
}
