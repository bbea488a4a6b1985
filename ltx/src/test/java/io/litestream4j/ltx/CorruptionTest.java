package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Flipping any single byte of a small valid file, or cutting it short anywhere, makes the decoder
 * fail, or (where the flip leaves the decompressed output unchanged, as an LZ4 match offset inside
 * a run can) return exactly the original file's contents. Never wrong pages, never an unchecked
 * exception.
 */
class CorruptionTest {
    private static final int[] MASKS = {0x01, 0x02, 0x10, 0x80, 0xff};

    private static byte[] smallSnapshot(PageEncoding encoding) throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        for (int pgno = 1; pgno <= 3; pgno++) {
            pages.put(pgno, TestFiles.page(512, pgno));
        }
        return TestFiles.snapshot(512, pages, 4, encoding);
    }

    private static byte[] smallIncrement(PageEncoding encoding) throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(2, TestFiles.page(512, 7));
        pages.put(5, TestFiles.page(512, 9));
        LtxHeader header = LtxHeader.of(512, 6, 5, 7, 123456, Checksums.FLAG | 0x1234).withWal(32, 4096, 1, 2).withNodeId(3);
        return TestFiles.encode(header, pages, Checksums.FLAG | 0x5678, encoding);
    }

    @ParameterizedTest
    @EnumSource(PageEncoding.class)
    void everySingleByteFlipIsCaughtOrHarmless(PageEncoding encoding) throws IOException {
        for (byte[] file : new byte[][] {smallSnapshot(encoding), smallIncrement(encoding)}) {
            TestFiles.Decoded original = TestFiles.decode(file);
            int harmless = 0;
            for (int i = 0; i < file.length; i++) {
                for (int mask : MASKS) {
                    byte[] corrupt = file.clone();
                    corrupt[i] ^= (byte) mask;
                    if (decodesToOriginal(corrupt, original, "byte " + i + " ^ " + mask)) {
                        harmless++;
                    }
                }
            }
            // Only LZ4 data can absorb a flip; headers, indexes and checksums never can.
            assertThat(harmless).as("harmless flips").isLessThan(file.length);
        }
    }

    @ParameterizedTest
    @EnumSource(PageEncoding.class)
    void everyTruncationFails(PageEncoding encoding) throws IOException {
        for (byte[] file : new byte[][] {smallSnapshot(encoding), smallIncrement(encoding)}) {
            for (int len = 0; len < file.length; len++) {
                byte[] cut = Arrays.copyOf(file, len);
                try {
                    TestFiles.decode(cut);
                    fail("truncated to %d of %d bytes, but decoded", len, file.length);
                } catch (LtxFormatException expected) {
                    assertThat(expected.getMessage()).startsWith("ltx file test.ltx: ");
                }
            }
        }
    }

    /** True if the file decodes to exactly the original; false if it is rejected with a format error. */
    private static boolean decodesToOriginal(byte[] file, TestFiles.Decoded original, String what) {
        TestFiles.Decoded decoded;
        try {
            decoded = TestFiles.decode(file);
        } catch (LtxFormatException rejected) {
            return false;
        } catch (Exception e) {
            throw new AssertionError(what + ": want LtxFormatException or the original contents, got " + e, e);
        }
        assertThat(decoded.header()).as(what).isEqualTo(original.header());
        assertThat(decoded.trailer()).as(what).isEqualTo(original.trailer());
        assertThat(decoded.samePages(original.pages())).as(what + ": pages").isTrue();
        return true;
    }
}
