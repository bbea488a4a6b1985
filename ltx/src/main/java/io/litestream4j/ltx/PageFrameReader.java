package io.litestream4j.ltx;

import java.io.IOException;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Reads page frames (pgno u32, flags u16, then an LZ4 block with a u32 size prefix or an LZ4 frame)
 * and keeps the running file checksum over them. Shared by the streaming decoder and the
 * single-page reader. Every page must decompress to exactly the page size.
 */
final class PageFrameReader {
    static final int FLAG_BLOCK = 0x1;
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();

    private final String file;
    private final int pageSize;
    private final int maxBlock;

    /** Running CRC-64 of the file, before the file-checksum flag is applied. */
    long crc;
    /** Bytes {@link #crc} has covered since this reader began (page data counted decompressed). */
    long hashedLength;
    int pgno;
    int flags;
    long dataCrc;
    long frameOffset;
    int frameSize;

    PageFrameReader(String file, int pageSize) {
        this.file = file;
        this.pageSize = pageSize;
        this.maxBlock = LZ4Factory.fastestInstance().fastCompressor().maxCompressedLength(pageSize);
    }

    /**
     * Reads the next frame into {@code dst}. Returns false, having consumed the 6-byte marker, at
     * the end of the pages.
     */
    boolean next(LtxInput in, byte[] dst) throws IOException {
        frameOffset = in.offset();
        in.require(6, "page header");
        byte[] b = in.buf;
        int p = in.pos;
        pgno = ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
        flags = ((b[p + 4] & 0xff) << 8) | (b[p + 5] & 0xff);
        if (pgno == 0) {
            if (flags != 0) {
                throw new LtxFormatException(file, "end-of-pages marker at offset %d: want flags 0, got 0x%04x".formatted(frameOffset, flags));
            }
            crc = Crc64.update(crc, b, p, 6);
            hashedLength += 6;
            in.skip(6);
            return false;
        }
        if (flags == FLAG_BLOCK) {
            // Messages are built only on failure: this runs once per page.
            if (!in.ensure(10)) {
                in.require(10, where() + ": block size");
            }
            b = in.buf; // require() may have moved the buffered bytes
            p = in.pos;
            crc = Crc64.update(crc, b, p, 10);
            hashedLength += 10;
            int size = ((b[p + 6] & 0xff) << 24) | ((b[p + 7] & 0xff) << 16) | ((b[p + 8] & 0xff) << 8) | (b[p + 9] & 0xff);
            if (size <= 0 || size > maxBlock) {
                throw new LtxFormatException(file, where() + ": compressed size: want 1 to %d, got %d".formatted(maxBlock, Integer.toUnsignedLong(size)));
            }
            in.skip(10);
            if (!in.ensure(size)) {
                in.require(size, where() + ": compressed data");
            }
            int n;
            try {
                n = LZ4.decompress(in.buf, in.pos, size, dst, 0, pageSize);
            } catch (LZ4Exception e) {
                throw new LtxFormatException(file, where() + ": lz4 block is corrupt or decompresses to more than %d bytes".formatted(pageSize), e);
            }
            if (n != pageSize) {
                throw new LtxFormatException(file, where() + ": decompressed size: want %d, got %d".formatted(pageSize, n));
            }
            in.skip(size);
        } else if (flags == 0) {
            crc = Crc64.update(crc, b, p, 6);
            hashedLength += 6;
            in.skip(6);
            Lz4Frame.read(in, LZ4, dst, pageSize, where(), file);
        } else {
            throw new LtxFormatException(file, where() + ": page flags: want 0x0001 (lz4 block) or 0 (lz4 frame), got 0x%04x".formatted(flags));
        }
        dataCrc = Crc64.of(dst, 0, pageSize);
        crc = Crc64.combine(crc, dataCrc, pageSize);
        hashedLength += pageSize;
        frameSize = (int) (in.offset() - frameOffset);
        return true;
    }

    private String where() {
        return "page %d at offset %d".formatted(Integer.toUnsignedLong(pgno), frameOffset);
    }
}
