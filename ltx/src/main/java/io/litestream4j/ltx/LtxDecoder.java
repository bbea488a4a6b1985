package io.litestream4j.ltx;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads one LTX file from a stream, page by page (layout in {@link LtxEncoder}), and verifies it.
 *
 * <p>Guarantees: a page is handed out only after its frame decoded to exactly the page size; when
 * {@link #readPage} returns 0 the whole file has been verified: the page index matches the frames
 * one for one, the file checksum matches, a snapshot held every page and (with checksums) its
 * pages add up to the post-apply checksum, and nothing follows the trailer. Any failure is an
 * {@link LtxFormatException} naming the file, the field or page, what was expected and what was
 * found.
 *
 * <p>Not guaranteed: pages handed out before the end are not yet covered by the file checksum. A
 * caller that must not act on a corrupt file (restore, compaction) writes pages somewhere
 * temporary and commits only after {@code readPage} returned 0.
 *
 * <p>Stricter than Litestream's reader: reserved header bits and bytes, page flags other than 0
 * and 1, pages out of order, above the commit or on the lock page, an incomplete snapshot, and
 * bytes after the trailer are all errors. Not thread-safe.
 */
public final class LtxDecoder implements Closeable {
    private static final int BUFFER_SIZE = 32 * 1024;

    private final InputStream stream;
    private final LtxInput in;
    private final String name;
    private final LtxHeader header;
    private final PageFrameReader frames;
    private final PageIndexBuilder seen = new PageIndexBuilder();
    private final DatabaseChecksum pagesChecksum = new DatabaseChecksum();
    private final int lockPgno;
    private int prevPgno;
    private LtxTrailer trailer;
    private long crc;

    /** Reads and validates the header. {@code name} identifies the file in errors. */
    public LtxDecoder(InputStream stream, String name) throws IOException {
        this(stream, name, new byte[BUFFER_SIZE]);
    }

    /**
     * As {@link #LtxDecoder(InputStream, String)}, reading through {@code buffer} (any length of at
     * least {@link LtxHeader#SIZE}): one caller decoding many files in turn reuses one buffer
     * instead of allocating one per file. The decoder overwrites it; use it for one file at a time.
     */
    public LtxDecoder(InputStream stream, String name, byte[] buffer) throws IOException {
        if (buffer.length < LtxHeader.SIZE) {
            throw new IllegalArgumentException("read buffer: want at least %d bytes, got %d".formatted(LtxHeader.SIZE, buffer.length));
        }
        this.stream = stream;
        this.name = name;
        this.in = new LtxInput(stream, name, buffer, 0);
        in.require(LtxHeader.SIZE, "header");
        this.header = LtxHeader.parse(name, in.buf, in.pos).validate(name);
        this.frames = new PageFrameReader(name, header.pageSize());
        frames.crc = Crc64.of(in.buf, in.pos, LtxHeader.SIZE);
        in.skip(LtxHeader.SIZE);
        this.lockPgno = header.lockPgno();
    }

    public LtxHeader header() {
        return header;
    }

    public String name() {
        return name;
    }

    /**
     * Reads the next page into {@code dst} (at least one page long) and returns its page number,
     * or returns 0 after the last page once the rest of the file has been verified.
     */
    public int readPage(byte[] dst) throws IOException {
        if (trailer != null) {
            return 0;
        }
        if (dst.length < header.pageSize()) {
            throw new IllegalArgumentException("page buffer: want %d bytes, got %d".formatted(header.pageSize(), dst.length));
        }
        if (!frames.next(in, dst)) {
            finishPages();
            readIndexAndTrailer();
            return 0;
        }
        int pgno = frames.pgno;
        checkPageNumber(pgno);
        if (header.isSnapshot() && !header.noChecksum()) {
            pagesChecksum.add(Checksums.ofPageCrc(pgno, frames.dataCrc, header.pageSize()));
        }
        seen.add(pgno, frames.frameOffset, frames.frameSize);
        prevPgno = pgno;
        return pgno;
    }

    /** Reads and verifies whatever is left of the file, discarding the pages. */
    public LtxTrailer verify() throws IOException {
        byte[] page = new byte[header.pageSize()];
        while (readPage(page) != 0) {
            // pages are checked as they are read
        }
        return trailer;
    }

    /** The trailer, once {@link #readPage} has returned 0. */
    public LtxTrailer trailer() {
        if (trailer == null) {
            throw new IllegalStateException("ltx file " + name + ": trailer not read yet");
        }
        return trailer;
    }

    /** The CRC-64 of the data of the page {@link #readPage} returned last (see {@link Checksums#ofPageCrc}). */
    public long lastPageCrc() {
        return frames.dataCrc;
    }

    /** Pages read so far. */
    public int pageCount() {
        return seen.count();
    }

    /** The page index as read and checked, once {@link #readPage} has returned 0. */
    public PageIndex pageIndex() {
        trailer();
        return seen.build();
    }

    @Override
    public void close() throws IOException {
        stream.close();
    }

    private void checkPageNumber(int pgno) throws LtxFormatException {
        if (Integer.compareUnsigned(pgno, header.commit()) > 0) {
            throw new LtxFormatException(name, at(pgno) + ": want pages within the commit of %d".formatted(Integer.toUnsignedLong(header.commit())));
        }
        if (pgno == lockPgno) {
            throw new LtxFormatException(name, at(pgno) + ": the lock page is never stored");
        }
        if (Integer.compareUnsigned(pgno, prevPgno) <= 0) {
            throw new LtxFormatException(name, at(pgno) + ": want pages in increasing order, previous was " + prevPgno);
        }
        if (header.isSnapshot() && pgno != nextSnapshotPgno()) {
            throw new LtxFormatException(name, at(pgno) + ": a snapshot holds every page, want page " + nextSnapshotPgno());
        }
    }

    /** Where a page is, for error messages only (built on failure: this is the per-page path). */
    private String at(int pgno) {
        return "page %d at offset %d".formatted(Integer.toUnsignedLong(pgno), frames.frameOffset);
    }

    private int nextSnapshotPgno() {
        int next = prevPgno + 1;
        return next == lockPgno ? next + 1 : next;
    }

    private void finishPages() throws LtxFormatException {
        if (header.isSnapshot() && Integer.compareUnsigned(nextSnapshotPgno(), header.commit()) <= 0) {
            throw new LtxFormatException(name, "snapshot ends after page %d, want every page up to the commit of %d"
                    .formatted(prevPgno, Integer.toUnsignedLong(header.commit())));
        }
    }

    private void readIndexAndTrailer() throws IOException {
        crc = frames.crc;
        long indexStart = in.offset();
        for (int i = 0; ; i++) {
            long entryOffset = in.offset();
            long pgno = readIndexVarint();
            if (pgno == 0) {
                if (i != seen.count()) {
                    throw new LtxFormatException(name, "page index at offset %d: want %d entries, got %d".formatted(indexStart, seen.count(), i));
                }
                break;
            }
            long offset = readIndexVarint();
            long size = readIndexVarint();
            if (i >= seen.count()) {
                throw new LtxFormatException(name, "page index at offset %d: entry for page %d, but the file has only %d pages"
                        .formatted(entryOffset, pgno, seen.count()));
            }
            if (pgno != seen.pgno(i) || offset != seen.offset(i) || size != seen.size(i)) {
                throw new LtxFormatException(name, "page index entry %d at offset %d: want (page %d, offset %d, size %d), got (page %d, offset %d, size %d)"
                        .formatted(i, entryOffset, seen.pgno(i), seen.offset(i), seen.size(i), pgno, offset, size));
            }
        }
        long indexEnd = in.offset();
        long indexLength = in.readLong("page index length");
        crc = Crc64.updateLongBigEndian(crc, indexLength);
        if (indexLength != indexEnd - indexStart) {
            throw new LtxFormatException(name, "page index length: want %d, got %d".formatted(indexEnd - indexStart, indexLength));
        }
        long postApply = in.readLong("trailer");
        crc = Crc64.updateLongBigEndian(crc, postApply);
        long fileChecksum = in.readLong("trailer");
        if (!in.atEnd()) {
            throw new LtxFormatException(name, "unexpected bytes after the trailer at offset " + in.offset());
        }
        long computed = Checksums.FLAG | crc;
        if (fileChecksum != computed) {
            throw new LtxChecksumException(name, "file checksum", fileChecksum, computed);
        }
        checkPostApply(name, header, postApply, pagesChecksum.value());
        trailer = new LtxTrailer(postApply, fileChecksum);
    }

    /** Reads one varint of the page index, adding its bytes to the file checksum. */
    private long readIndexVarint() throws IOException {
        long v = 0;
        for (int i = 0, shift = 0; i < Uvarint.MAX_LEN; i++, shift += 7) {
            int b = in.readByte("page index");
            crc = Crc64.update(crc, b);
            if (i == Uvarint.MAX_LEN - 1 && b > 1) {
                break;
            }
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new LtxFormatException(name, "page index at offset %d: varint overflows 64 bits".formatted(in.offset()));
    }

    /**
     * The trailer's post-apply checksum: 0 in a file without checksums, else flagged, and for a
     * snapshot equal to {@code pagesChecksum}, the database checksum of its pages.
     */
    static void checkPostApply(String name, LtxHeader header, long postApply, long pagesChecksum) throws LtxFormatException {
        String got = Checksums.format(postApply);
        if (header.noChecksum()) {
            if (postApply != 0) {
                throw new LtxFormatException(name, "post-apply checksum: want 0 in a file without checksums, got " + got);
            }
            return;
        }
        if ((postApply & Checksums.FLAG) == 0) {
            throw new LtxFormatException(name, "post-apply checksum: want bit 63 set, got " + got);
        }
        if (header.isSnapshot() && postApply != pagesChecksum) {
            throw new LtxChecksumException(name, "post-apply checksum", postApply, pagesChecksum);
        }
    }
}
