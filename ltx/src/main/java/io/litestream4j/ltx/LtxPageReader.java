package io.litestream4j.ltx;

import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Reads single pages of an LTX file through its page index, with byte-range reads: three reads to
 * open (header, index length and trailer, index), one per page after that. For range downloads
 * from object stores and for read replicas.
 *
 * <p>Checked: the header, the index's structure (increasing pages and offsets, frames between the
 * header and the index), and each frame as it is read (its page number and decompressed size).
 * Not checked: the file checksum, which needs the whole file; use {@link LtxDecoder} for that.
 */
public final class LtxPageReader {
    static final int TAIL = 8 + LtxTrailer.SIZE;

    private final ByteRangeReader source;
    private final String name;
    private final LtxHeader header;
    private final PageIndex index;
    private final LtxTrailer trailer;

    private LtxPageReader(ByteRangeReader source, String name, LtxHeader header, PageIndex index, LtxTrailer trailer) {
        this.source = source;
        this.name = name;
        this.header = header;
        this.index = index;
        this.trailer = trailer;
    }

    /** Reads the header and the page index. */
    public static LtxPageReader open(ByteRangeReader source, String name) throws IOException {
        long length = source.length();
        long minLength = LtxHeader.SIZE + 6 + 1 + TAIL;
        if (length < minLength) {
            throw new LtxFormatException(name, "file length: want at least %d bytes, got %d".formatted(minLength, length));
        }
        LtxHeader header = LtxHeader.parse(name, source.read(0, LtxHeader.SIZE), 0).validate(name);
        byte[] tail = source.read(length - TAIL, TAIL);
        java.nio.ByteBuffer tb = java.nio.ByteBuffer.wrap(tail);
        long indexLength = tb.getLong();
        LtxTrailer trailer = new LtxTrailer(tb.getLong(), tb.getLong());
        long indexStart = length - TAIL - indexLength;
        if (indexLength < 1 || indexStart < LtxHeader.SIZE + 6) {
            throw new LtxFormatException(name, "page index length: want 1 to %d, got %d".formatted(length - TAIL - LtxHeader.SIZE - 6, indexLength));
        }
        if (indexLength > Integer.MAX_VALUE - 64) {
            throw new LtxFormatException(name, "page index length: %d is too large".formatted(indexLength));
        }
        byte[] raw = source.read(indexStart, (int) indexLength);
        PageIndex index = parseIndex(name, raw, indexStart, header);
        return new LtxPageReader(source, name, header, index, trailer);
    }

    public LtxHeader header() {
        return header;
    }

    public PageIndex index() {
        return index;
    }

    /** The trailer as stored (not verified against the contents). */
    public LtxTrailer trailer() {
        return trailer;
    }

    /** Reads page {@code pgno} into {@code dst}; false if the file does not hold it. */
    public boolean readPage(int pgno, byte[] dst) throws IOException {
        var found = index.find(pgno);
        if (found.isEmpty()) {
            return false;
        }
        int i = found.getAsInt();
        byte[] frame = source.read(index.offset(i), index.frameSize(i));
        LtxInput in = new LtxInput(new ByteArrayInputStream(frame), name, frame.length, index.offset(i));
        PageFrameReader reader = new PageFrameReader(name, header.pageSize());
        if (!reader.next(in, dst) || reader.pgno != pgno) {
            throw new LtxFormatException(name, "frame at offset %d: want page %d, got %d".formatted(index.offset(i), pgno, reader.pgno));
        }
        if (!in.atEnd()) {
            throw new LtxFormatException(name, "page %d at offset %d: frame is shorter than its index entry of %d bytes"
                    .formatted(pgno, index.offset(i), index.frameSize(i)));
        }
        return true;
    }

    static PageIndex parseIndex(String name, byte[] raw, long indexStart, LtxHeader header) throws LtxFormatException {
        PageIndexBuilder b = new PageIndexBuilder();
        int[] pos = {0};
        long prevEnd = LtxHeader.SIZE;
        int prevPgno = 0;
        while (true) {
            long pgno = varint(name, raw, pos, indexStart);
            if (pgno == 0) {
                break;
            }
            long offset = varint(name, raw, pos, indexStart);
            long size = varint(name, raw, pos, indexStart);
            if (pgno <= prevPgno || pgno > Integer.toUnsignedLong(header.commit())) {
                throw new LtxFormatException(name, "page index: page %d out of order or above the commit of %d".formatted(pgno, header.commit()));
            }
            if (offset < prevEnd || size < 7 || offset + size > indexStart - 6) {
                throw new LtxFormatException(name, "page index: page %d frame (offset %d, size %d) outside the page area %d-%d"
                        .formatted(pgno, offset, size, prevEnd, indexStart - 6));
            }
            b.add((int) pgno, offset, (int) size);
            prevPgno = (int) pgno;
            prevEnd = offset + size;
        }
        if (pos[0] != raw.length) {
            throw new LtxFormatException(name, "page index: %d bytes after the terminator".formatted(raw.length - pos[0]));
        }
        return b.build();
    }

    private static long varint(String name, byte[] raw, int[] pos, long base) throws LtxFormatException {
        long v = 0;
        for (int i = 0, shift = 0; i < Uvarint.MAX_LEN && pos[0] < raw.length; i++, shift += 7) {
            int b = raw[pos[0]++] & 0xff;
            if (i == Uvarint.MAX_LEN - 1 && b > 1) {
                break;
            }
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new LtxFormatException(name, "page index at offset %d: truncated or overlong varint".formatted(base + pos[0]));
    }
}
