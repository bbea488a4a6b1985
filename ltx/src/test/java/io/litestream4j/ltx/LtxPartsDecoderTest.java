package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Decoding in parts (on several threads, in any order) gives the streaming decoder's pages and
 * trailer, and catches every corruption the streaming decoder catches.
 */
class LtxPartsDecoderTest {
    private static final int[] MASKS = {0x01, 0x80, 0xff};

    /**
     * Decodes {@code file} in up to {@code parts} parts, each on its own thread, the last part
     * first. The bytes go to {@code tmp}, one file rewritten for every call of a test: the sweeps
     * below decode tens of thousands of variants, and creating and deleting a file for each (on a
     * disk mounted with discard) was most of their time.
     */
    static TestFiles.Decoded decodeInParts(Path tmp, byte[] file, int parts) throws IOException {
        Files.write(tmp, file); // truncates what the previous call left
        LtxPageReader reader = LtxPageReader.open(ByteRangeReader.of(tmp), "test.ltx");
        LtxPartsDecoder decoder = new LtxPartsDecoder(tmp, "test.ltx", reader);
        int[] bounds = decoder.split(parts, 1);
        SortedMap<Integer, byte[]> pages = new ConcurrentSkipListMap<>();
        LtxPartsDecoder.Part[] done = new LtxPartsDecoder.Part[bounds.length - 1];
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int k = bounds.length - 2; k >= 0; k--) {
            int part = k;
            // Virtual threads: as concurrent as platform ones for this, and far cheaper to start 60,000 of.
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    done[part] = decoder.decode(bounds[part], bounds[part + 1], (pgno, data, crc) -> {
                        assertThat(crc).isEqualTo(Crc64.of(data, 0, reader.header().pageSize()));
                        assertThat(pages.put(pgno, data.clone())).as("page %d handed out once", pgno).isNull();
                    });
                } catch (IOException | RuntimeException | Error e) {
                    failures.add(e);
                }
            }));
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (!failures.isEmpty()) {
            switch (failures.getFirst()) {
                case IOException e -> throw e;
                case RuntimeException e -> throw e;
                case Error e -> throw e;
                default -> throw new AssertionError(failures.getFirst());
            }
        }
        LtxTrailer trailer = decoder.verify(List.of(done));
        return new TestFiles.Decoded(reader.header(), new TreeMap<>(pages), trailer);
    }

    private static byte[] randomFile(long seed, int pageCount, boolean snapshot, PageEncoding encoding, int pageSize) throws IOException {
        Random random = new Random(seed);
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        int pgno = 0;
        for (int i = 0; i < pageCount; i++) {
            pgno += snapshot ? 1 : 1 + random.nextInt(3);
            pages.put(pgno, TestFiles.page(pageSize, random.nextInt()));
        }
        if (snapshot) {
            return TestFiles.snapshot(pageSize, pages, 9, encoding);
        }
        LtxHeader header = LtxHeader.of(pageSize, pgno + 1, 5, 7, 123456, Checksums.FLAG | 0x1234);
        return TestFiles.encode(header, pages, Checksums.FLAG | 0x5678, encoding);
    }

    @Property(tries = 60)
    void partsGiveTheStreamingDecodersPagesAndTrailer(@ForAll long seed, @ForAll @IntRange(min = 0, max = 40) int pageCount,
            @ForAll boolean snapshot, @ForAll PageEncoding encoding, @ForAll @IntRange(min = 1, max = 6) int parts) throws IOException {
        byte[] file = randomFile(seed, pageCount, snapshot, encoding, 512);
        TestFiles.Decoded streamed = TestFiles.decode(file);
        Path tmp = Files.createTempFile("parts", ".ltx");
        try {
            TestFiles.Decoded inParts = decodeInParts(tmp, file, parts);
            assertThat(inParts.trailer()).isEqualTo(streamed.trailer());
            assertThat(inParts.samePages(streamed.pages())).isTrue();
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void splitCutsIntoRunsOfAboutEqualBytes() throws IOException {
        byte[] file = randomFile(1, 100, true, PageEncoding.BLOCK, 4096);
        Path tmp = Files.createTempFile("parts", ".ltx");
        try {
            Files.write(tmp, file);
            LtxPartsDecoder decoder = new LtxPartsDecoder(tmp, "x", LtxPageReader.open(ByteRangeReader.of(tmp), "x"));
            assertThat(decoder.split(4, 1)).containsExactly(0, 25, 50, 75, 100);
            assertThat(decoder.split(4, Long.MAX_VALUE)).containsExactly(0, 100);
            assertThat(decoder.split(1000, 1)).hasSize(101);
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void everySingleByteFlipIsCaughtOrHarmless() throws IOException {
        Path tmp = Files.createTempFile("parts", ".ltx");
        try {
            for (PageEncoding encoding : PageEncoding.values()) {
                for (byte[] file : new byte[][] {randomFile(3, 4, true, encoding, 512), randomFile(4, 3, false, encoding, 512)}) {
                    TestFiles.Decoded original = TestFiles.decode(file);
                    int harmless = 0;
                    for (int i = 0; i < file.length; i++) {
                        for (int mask : MASKS) {
                            byte[] corrupt = file.clone();
                            corrupt[i] ^= (byte) mask;
                            TestFiles.Decoded got;
                            try {
                                got = decodeInParts(tmp, corrupt, 2);
                            } catch (IOException | UncheckedIOException e) {
                                continue; // caught
                            }
                            // Not caught: only possible where the decompressed pages are unchanged.
                            assertThat(got.samePages(original.pages())).as("byte %d ^ %d", i, mask).isTrue();
                            assertThat(got.trailer()).isEqualTo(original.trailer());
                            harmless++;
                        }
                    }
                    assertThat(harmless).as("harmless flips").isLessThan(file.length);
                }
            }
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void everyTruncationFails() throws IOException {
        byte[] file = randomFile(5, 3, true, PageEncoding.BLOCK, 512);
        Path tmp = Files.createTempFile("parts", ".ltx");
        try {
            for (int len = 0; len < file.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(file, len);
                int n = len;
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> decodeInParts(tmp, cut, 2)).as("cut at %d", n)
                        .isInstanceOf(IOException.class);
            }
        } finally {
            Files.delete(tmp);
        }
    }
}
