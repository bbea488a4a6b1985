package io.litestream4j.ltx;

import java.io.IOException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The legacy LTX page encoding (page flags 0, Litestream 0.5.0 - 0.5.15): one LZ4 frame per page.
 *
 * <pre>
 * magic     4  04 22 4D 18
 * FLG       1  version 01 (bits 7-6), block independence (5), block checksum (4),
 *              content size (3), content checksum (2), reserved (1), dict id (0)
 * BD        1  block max size in bits 6-4 (4: 64 KB ... 7: 4 MB)
 * [size]    8  content size, little-endian, if FLG bit 3
 * [dict]    4  dictionary id, if FLG bit 0 (rejected: pages never use dictionaries)
 * HC        1  (xxHash32(FLG .. last descriptor byte) >> 8) &amp; 0xFF
 * blocks       u32 little-endian size (high bit: stored uncompressed), data,
 *              [u32 xxHash32 of the data if FLG bit 4]
 * end mark  4  0
 * [check]   4  xxHash32 of the content, if FLG bit 2
 * </pre>
 *
 * A frame has no length prefix: it is read field by field until its end mark. The writer emits
 * exactly what Litestream's Go encoder did: FLG 0x64, BD 0x40, one block, a content checksum.
 */
final class Lz4Frame {
    static final int MAGIC = 0x184D2204;
    private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();

    private Lz4Frame() {}

    /** Source of frame bytes: the decoder's buffered stream. */
    interface Source {
        /** Reads exactly {@code len} bytes into {@code b} or fails naming what was being read. */
        void readFully(byte[] b, int off, int len, String what) throws IOException;

        int readIntLittleEndian(String what) throws IOException;

        int readByte(String what) throws IOException;
    }

    /**
     * Reads one frame holding exactly {@code dst.length} bytes of content into {@code dst}.
     * {@code scratch} must hold at least one block (64 KiB with BD 0x40; larger blocks are
     * allocated as needed).
     */
    static void read(Source in, LZ4SafeDecompressor lz4, byte[] dst, int pageSize, String where, String file)
            throws IOException {
        int magic = in.readIntLittleEndian(where + ": lz4 frame magic");
        if (magic != MAGIC) {
            throw new LtxFormatException(file, where + ": lz4 frame magic: want 04224d18, got %08x".formatted(Integer.reverseBytes(magic)));
        }
        byte[] desc = new byte[11];
        int flg = in.readByte(where + ": lz4 frame descriptor");
        int bd = in.readByte(where + ": lz4 frame descriptor");
        desc[0] = (byte) flg;
        desc[1] = (byte) bd;
        int descLen = 2;
        if ((flg >>> 6) != 1) {
            throw new LtxFormatException(file, where + ": lz4 frame version: want 1, got " + (flg >>> 6));
        }
        if ((flg & 0x02) != 0 || (bd & 0x8F) != 0) {
            throw new LtxFormatException(file, where + ": lz4 frame descriptor: reserved bits set (FLG %02x, BD %02x)".formatted(flg, bd));
        }
        boolean independent = (flg & 0x20) != 0;
        boolean blockChecksum = (flg & 0x10) != 0;
        boolean contentChecksum = (flg & 0x04) != 0;
        int blockMax = 1 << (8 + 2 * ((bd >>> 4) & 7));
        if (blockMax < 65536) {
            throw new LtxFormatException(file, where + ": lz4 frame block size code: want 4 to 7, got " + ((bd >>> 4) & 7));
        }
        if ((flg & 0x08) != 0) {
            in.readFully(desc, descLen, 8, where + ": lz4 frame content size");
            long size = java.nio.ByteBuffer.wrap(desc, descLen, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            if (size != pageSize) {
                throw new LtxFormatException(file, where + ": lz4 frame content size: want %d, got %d".formatted(pageSize, size));
            }
            descLen += 8;
        }
        if ((flg & 0x01) != 0) {
            throw new LtxFormatException(file, where + ": lz4 frame uses a dictionary, which pages never do");
        }
        int hc = in.readByte(where + ": lz4 frame header checksum");
        int wantHc = (XXHASH.hash(desc, 0, descLen, 0) >>> 8) & 0xFF;
        if (hc != wantHc) {
            throw new LtxFormatException(file, where + ": lz4 frame header checksum: want %02x, got %02x".formatted(wantHc, hc));
        }

        int filled = 0;
        byte[] block = null;
        while (true) {
            int raw = in.readIntLittleEndian(where + ": lz4 block size");
            if (raw == 0) {
                break;
            }
            boolean stored = raw < 0;
            int size = raw & 0x7FFFFFFF;
            if (size > blockMax) {
                throw new LtxFormatException(file, where + ": lz4 block size: want at most %d, got %d".formatted(blockMax, size));
            }
            if (!independent && filled > 0) {
                throw new LtxFormatException(file, where + ": lz4 frame with dependent blocks spanning a page is not supported");
            }
            if (block == null || block.length < size) {
                block = new byte[Math.max(size, 1024)];
            }
            in.readFully(block, 0, size, where + ": lz4 block data");
            if (blockChecksum) {
                int want = in.readIntLittleEndian(where + ": lz4 block checksum");
                int got = XXHASH.hash(block, 0, size, 0);
                if (want != got) {
                    throw new LtxFormatException(file, where + ": lz4 block checksum: want %08x, got %08x".formatted(want, got));
                }
            }
            if (stored) {
                if (size > pageSize - filled) {
                    throw new LtxFormatException(file, where + ": decompressed size: want %d, got more".formatted(pageSize));
                }
                System.arraycopy(block, 0, dst, filled, size);
                filled += size;
            } else {
                try {
                    filled += lz4.decompress(block, 0, size, dst, filled, pageSize - filled);
                } catch (LZ4Exception e) {
                    throw new LtxFormatException(file, where + ": lz4 block is corrupt or decompresses to more than %d bytes".formatted(pageSize), e);
                }
            }
        }
        if (filled != pageSize) {
            throw new LtxFormatException(file, where + ": decompressed size: want %d, got %d".formatted(pageSize, filled));
        }
        if (contentChecksum) {
            int want = in.readIntLittleEndian(where + ": lz4 content checksum");
            int got = XXHASH.hash(dst, 0, pageSize, 0);
            if (want != got) {
                throw new LtxFormatException(file, where + ": lz4 content checksum: want %08x, got %08x".formatted(want, got));
            }
        }
    }

    /** The largest frame {@link #write} produces for a page. */
    static int maxFrameLength(int pageSize) {
        return 7 + 4 + pageSize + 4 + 4;
    }

    /** Writes {@code page} as one frame at {@code out[off]}; returns the frame's length. */
    static int write(LZ4Compressor lz4, byte[] page, int pageSize, byte[] out, int off, byte[] scratch) {
        int p = off;
        p = putIntLE(out, p, MAGIC);
        out[p++] = 0x64;
        out[p++] = 0x40;
        out[p++] = (byte) ((XXHASH.hash(out, off + 4, 2, 0) >>> 8) & 0xFF);
        int n = lz4.compress(page, 0, pageSize, scratch, 0, scratch.length);
        if (n < pageSize) {
            p = putIntLE(out, p, n);
            System.arraycopy(scratch, 0, out, p, n);
            p += n;
        } else {
            p = putIntLE(out, p, pageSize | 0x80000000);
            System.arraycopy(page, 0, out, p, pageSize);
            p += pageSize;
        }
        p = putIntLE(out, p, 0);
        p = putIntLE(out, p, XXHASH.hash(page, 0, pageSize, 0));
        return p - off;
    }

    private static int putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
        return off + 4;
    }
}
