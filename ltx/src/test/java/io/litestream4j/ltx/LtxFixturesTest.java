package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The golden files written by Litestream's LTX library decode as documented, in both encodings. */
class LtxFixturesTest {
    private static TestFiles.Decoded read(String encoding, String name) throws IOException {
        return TestFiles.decode(Files.readAllBytes(Fixtures.ltx(encoding, name)));
    }

    private static byte[] filled(char c, int size) {
        return ChecksumsTest.filled(c, size);
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "frame"})
    void snapshot(String encoding) throws IOException {
        var f = read(encoding, "snapshot.ltx");
        assertThat(f.header()).isEqualTo(LtxHeader.of(512, 2, 1, 1, 1000, 0));
        assertThat(f.pages()).containsOnlyKeys(1, 2);
        assertThat(f.pages().get(1)).isEqualTo(filled('2', 512));
        assertThat(f.pages().get(2)).isEqualTo(filled('3', 512));
        assertThat(f.trailer().postApplyChecksum()).isEqualTo(0x8b87423eeeeeeeeeL);
        assertThat(f.trailer().fileChecksum())
                .isEqualTo(encoding.equals("block") ? 0xf0c5cec1a6214b70L : 0x88bafb3e039cbe6fL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "frame"})
    void snapshotWithoutChecksums(String encoding) throws IOException {
        var f = read(encoding, "snapshot-nochecksum.ltx");
        assertThat(f.header()).isEqualTo(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, 512, 2, 1, 1, 1000, 0, 32, 1056,
                0x11223344, 0x55667788, 0));
        assertThat(f.pages().get(1)).isEqualTo(filled('2', 512));
        assertThat(f.pages().get(2)).isEqualTo(filled('3', 512));
        assertThat(f.trailer().postApplyChecksum()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "frame"})
    void incremental(String encoding) throws IOException {
        var f = read(encoding, "incr.ltx");
        assertThat(f.header()).isEqualTo(LtxHeader.of(512, 2, 2, 2, 2000, 0x8b87423eeeeeeeeeL).withNodeId(7));
        assertThat(f.pages()).containsOnlyKeys(2);
        assertThat(f.pages().get(2)).isEqualTo(filled('4', 512));
        assertThat(f.trailer().postApplyChecksum()).isEqualTo(0xdb2ddab666666666L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "frame"})
    void emptyDatabase(String encoding) throws IOException {
        var f = read(encoding, "empty-commit0.ltx");
        assertThat(f.header()).isEqualTo(LtxHeader.of(512, 0, 1, 1, 1000, 0));
        assertThat(f.pages()).isEmpty();
        assertThat(f.trailer().postApplyChecksum()).isEqualTo(Checksums.EMPTY_DATABASE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"block/random-512.ltx", "frame/random-512.ltx", "block/random-65536.ltx", "frame/random-65536.ltx"})
    void incompressiblePages(String path) throws IOException {
        String[] parts = path.split("/");
        var f = read(parts[0], parts[1]);
        int pageSize = parts[1].contains("65536") ? 65536 : 512;
        assertThat(f.header()).isEqualTo(new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, pageSize, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0));
        assertThat(f.pages()).containsOnlyKeys(1);
        byte[] page = f.pages().get(1);
        assertThat(page).hasSize(pageSize);
        // Pseudo-random: many distinct byte values, no long runs.
        assertThat(new String(page, java.nio.charset.StandardCharsets.ISO_8859_1).chars().distinct().count()).isGreaterThan(200);
    }

    @Test
    void pageIndexOfTheBlockSnapshot() throws IOException {
        var reader = LtxPageReader.open(ByteRangeReader.of(Fixtures.ltx("block", "snapshot.ltx")), "block/snapshot.ltx");
        PageIndex index = reader.index();
        assertThat(index.size()).isEqualTo(2);
        assertThat(new long[] {index.pgno(0), index.offset(0), index.frameSize(0)}).containsExactly(1, 100, 34);
        assertThat(new long[] {index.pgno(1), index.offset(1), index.frameSize(1)}).containsExactly(2, 134, 34);
        byte[] page = new byte[512];
        assertThat(reader.readPage(2, page)).isTrue();
        assertThat(page).isEqualTo(filled('3', 512));
        assertThat(reader.readPage(3, page)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "frame"})
    void singlePageReadsMatchTheStreamingDecoder(String encoding) throws IOException {
        for (String name : new String[] {"snapshot.ltx", "incr.ltx", "random-65536.ltx", "snapshot-nochecksum.ltx"}) {
            var whole = read(encoding, name);
            var reader = LtxPageReader.open(ByteRangeReader.of(Fixtures.ltx(encoding, name)), name);
            assertThat(reader.header()).isEqualTo(whole.header());
            assertThat(reader.trailer()).isEqualTo(whole.trailer());
            for (var e : whole.pages().entrySet()) {
                byte[] page = new byte[whole.header().pageSize()];
                assertThat(reader.readPage(e.getKey(), page)).isTrue();
                assertThat(page).as("%s page %d", name, e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    /**
     * Our encoder, given the fixtures' contents, writes files our decoder accepts with the same
     * header and database checksums. File checksums are not compared: they cover the page index,
     * whose frame sizes depend on the LZ4 compressor.
     */
    @ParameterizedTest
    @ValueSource(strings = {"snapshot.ltx", "snapshot-nochecksum.ltx", "incr.ltx", "empty-commit0.ltx", "random-512.ltx", "random-65536.ltx"})
    void reEncodingGivesFilesTheReferenceChecksumsAccept(String name) throws IOException {
        for (PageEncoding encoding : PageEncoding.values()) {
            var original = read(encoding.name().toLowerCase(java.util.Locale.ROOT), name);
            byte[] ours = TestFiles.encode(original.header(), original.pages(), original.trailer().postApplyChecksum(), encoding);
            var back = TestFiles.decode(ours);
            assertThat(back.header()).isEqualTo(original.header());
            assertThat(back.samePages(original.pages())).isTrue();
            assertThat(back.trailer().postApplyChecksum()).isEqualTo(original.trailer().postApplyChecksum());
        }
    }

    @Test
    void snapshotChecksumOfFixturePagesMatchesTheDocumentedValue() throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(1, filled('2', 512));
        pages.put(2, filled('3', 512));
        var f = TestFiles.decode(TestFiles.snapshot(512, pages, 1, PageEncoding.BLOCK));
        assertThat(f.trailer().postApplyChecksum()).isEqualTo(0x8b87423eeeeeeeeeL);
        assertThat(Arrays.equals(f.pages().get(2), pages.get(2))).isTrue();
    }
}
