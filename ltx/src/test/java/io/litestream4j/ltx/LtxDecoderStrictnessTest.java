package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

/** Each way a file can be malformed gives an error naming the file, the field, the want and the got. */
class LtxDecoderStrictnessTest {
    private static final int PAGE_SIZE = 512;

    /** pages 1, 2, 3 of an incremental file (block encoding), commit 3. */
    private static byte[] validFile() throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        for (int pgno = 1; pgno <= 3; pgno++) {
            pages.put(pgno, TestFiles.page(PAGE_SIZE, pgno));
        }
        return TestFiles.encode(LtxHeader.of(PAGE_SIZE, 3, 2, 2, 5, Checksums.FLAG | 1), pages, Checksums.FLAG | 2, PageEncoding.BLOCK);
    }

    private static byte[] patchInt(byte[] file, int offset, int value) {
        byte[] copy = file.clone();
        ByteBuffer.wrap(copy).putInt(offset, value);
        return copy;
    }

    private static void assertRejected(byte[] file, String... fragments) {
        var assertion = assertThatThrownBy(() -> TestFiles.decode(file)).isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("ltx file test.ltx: ");
        for (String f : fragments) {
            assertion.hasMessageContaining(f);
        }
    }

    private static PageIndex indexOf(byte[] file) throws IOException {
        return LtxPageReader.open(inMemory(file), "test.ltx").index();
    }

    static ByteRangeReader inMemory(byte[] file) {
        return new ByteRangeReader() {
            @Override
            public long length() {
                return file.length;
            }

            @Override
            public byte[] read(long offset, int length) throws java.io.EOFException {
                if (offset + length > file.length) {
                    throw new java.io.EOFException("want " + length + " bytes at " + offset);
                }
                return java.util.Arrays.copyOfRange(file, (int) offset, (int) offset + length);
            }
        };
    }

    @Test
    void badMagic() throws IOException {
        assertRejected(patchInt(validFile(), 0, 0x4c545832), "magic: want \"LTX1\", got 4c545832");
    }

    @Test
    void reservedHeaderFlags() throws IOException {
        assertRejected(patchInt(validFile(), 4, 0x4), "invalid header: flags: want only 0x00000002 (no checksum) or 0, got 0x00000004");
    }

    @Test
    void reservedHeaderBytes() throws IOException {
        byte[] file = validFile();
        file[90] = 1;
        assertRejected(file, "reserved header byte 90: want 0, got 0x01");
    }

    @Test
    void unknownPageFlags() throws IOException {
        byte[] file = validFile();
        file[105] = 2;
        assertRejected(file, "page 1 at offset 100: page flags: want 0x0001 (lz4 block) or 0 (lz4 frame), got 0x0002");
    }

    @Test
    void pagesOutOfOrder() throws IOException {
        byte[] file = validFile();
        PageIndex index = indexOf(file);
        assertRejected(patchInt(file, (int) index.offset(1), 1), "page 1 at offset " + index.offset(1), "want pages in increasing order, previous was 1");
    }

    @Test
    void pageBeyondTheCommit() throws IOException {
        assertRejected(patchInt(validFile(), 12, 2), "page 3 at offset", "want pages within the commit of 2");
    }

    @Test
    void lockPage() throws IOException {
        int lock = PageSizes.lockPgno(65536);
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(lock + 1, new byte[65536]);
        byte[] file = TestFiles.encode(LtxHeader.of(65536, lock + 1, 2, 2, 0, Checksums.FLAG), pages, Checksums.FLAG, PageEncoding.BLOCK);
        assertRejected(patchInt(file, 100, lock), "page 16385 at offset 100: the lock page is never stored");
    }

    @Test
    void decompressedSizeMustEqualThePageSize() throws IOException {
        var lz4 = LZ4Factory.fastestInstance().fastCompressor();
        byte[] half = lz4.compress(new byte[PAGE_SIZE / 2]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(LtxHeader.of(PAGE_SIZE, 1, 2, 2, 0, Checksums.FLAG).toBytes());
        out.write(ByteBuffer.allocate(10).putInt(1).putShort((short) 1).putInt(half.length).array());
        out.write(half);
        assertRejected(out.toByteArray(), "page 1 at offset 100: decompressed size: want 512, got 256");

        byte[] twice = lz4.compress(new byte[PAGE_SIZE * 2]);
        out.reset();
        out.write(LtxHeader.of(PAGE_SIZE, 1, 2, 2, 0, Checksums.FLAG).toBytes());
        out.write(ByteBuffer.allocate(10).putInt(1).putShort((short) 1).putInt(twice.length).array());
        out.write(twice);
        assertRejected(out.toByteArray(), "page 1 at offset 100: lz4 block is corrupt or decompresses to more than 512 bytes");
    }

    @Test
    void pageIndexMustMatchTheFrames() throws IOException {
        byte[] file = validFile();
        PageIndex index = indexOf(file);
        long indexStart = index.offset(2) + index.frameSize(2) + 6;
        // Entry 0 is (1, 100, size): bump its size varint's low byte.
        int sizeByte = (int) indexStart + 1 + 1;
        file[sizeByte]++;
        assertRejected(file, "page index entry 0 at offset " + indexStart, "want (page 1, offset 100, size " + index.frameSize(0) + ")");
    }

    @Test
    void pageIndexLengthMustMatch() throws IOException {
        byte[] file = validFile();
        int lengthOffset = file.length - 24;
        long length = ByteBuffer.wrap(file).getLong(lengthOffset);
        ByteBuffer.wrap(file).putLong(lengthOffset, length + 1);
        assertRejected(file, "page index length: want " + length + ", got " + (length + 1));
    }

    @Test
    void nothingMayFollowTheTrailer() throws IOException {
        byte[] file = validFile();
        byte[] longer = java.util.Arrays.copyOf(file, file.length + 1);
        assertRejected(longer, "unexpected bytes after the trailer at offset " + file.length);
    }

    @Test
    void fileChecksumMustMatch() throws IOException {
        byte[] file = validFile();
        file[file.length - 10] ^= 1; // inside the post-apply checksum, which the file checksum covers
        assertThatThrownBy(() -> TestFiles.decode(file)).isInstanceOf(LtxChecksumException.class)
                .hasMessageContaining("file checksum mismatch: want ");
    }

    @Test
    void snapshotMustHoldEveryPageUpToTheCommit() throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(1, TestFiles.page(PAGE_SIZE, 1));
        pages.put(2, TestFiles.page(PAGE_SIZE, 2));
        byte[] file = TestFiles.snapshot(PAGE_SIZE, pages, 1, PageEncoding.BLOCK);
        assertRejected(patchInt(file, 12, 3), "snapshot ends after page 2, want every page up to the commit of 3");
    }

    @Test
    void snapshotPagesMustAddUpToThePostApplyChecksum() throws IOException {
        SortedMap<Integer, byte[]> pages = new TreeMap<>();
        pages.put(1, TestFiles.page(PAGE_SIZE, 1));
        byte[] file = TestFiles.snapshot(PAGE_SIZE, pages, 1, PageEncoding.BLOCK);
        long good = TestFiles.decode(file).trailer().postApplyChecksum();
        ByteBuffer.wrap(file).putLong(file.length - 16, good ^ 1);
        byte[] bad = withFileChecksumFixed(file);
        assertThatThrownBy(() -> TestFiles.decode(bad)).isInstanceOf(LtxChecksumException.class)
                .hasMessageContaining("post-apply checksum mismatch: want " + Checksums.format(good ^ 1) + ", got " + Checksums.format(good));
    }

    /** Recomputes the file checksum of a block-encoded file after a test patched it. */
    private static byte[] withFileChecksumFixed(byte[] file) throws IOException {
        LtxPageReader reader = LtxPageReader.open(inMemory(file), "test.ltx");
        PageIndex index = reader.index();
        long crc = Crc64.of(file, 0, LtxHeader.SIZE);
        byte[] page = new byte[reader.header().pageSize()];
        long end = LtxHeader.SIZE;
        for (int i = 0; i < index.size(); i++) {
            reader.readPage(index.pgno(i), page);
            crc = Crc64.update(crc, file, (int) index.offset(i), 10);
            crc = Crc64.update(crc, page, 0, page.length);
            end = index.offset(i) + index.frameSize(i);
        }
        crc = Crc64.update(crc, file, (int) end, file.length - 8 - (int) end);
        byte[] fixed = file.clone();
        ByteBuffer.wrap(fixed).putLong(fixed.length - 8, Checksums.FLAG | crc);
        return fixed;
    }

    @Test
    void truncatedFilesSayWhatIsMissing() throws IOException {
        byte[] file = validFile();
        assertRejected(new byte[0], "truncated at offset 0: want 100 bytes of header, got 0");
        assertRejected(java.util.Arrays.copyOf(file, 103), "truncated at offset 100");
        assertRejected(java.util.Arrays.copyOf(file, file.length - 1), "truncated at offset");
    }
}
