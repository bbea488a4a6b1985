package io.litestream4j.ltx;

import java.io.IOException;
import java.io.OutputStream;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Writes one LTX file to a stream, page by page, never holding more than one page and the page
 * index in memory.
 *
 * <pre>
 * header       100 bytes ({@link LtxHeader})
 * page frames  pgno u32, flags u16, then
 *                flags 0x1 (BLOCK): compressed size u32, one LZ4 block
 *                flags 0   (FRAME): one LZ4 frame
 * end of pages 6 zero bytes
 * page index   uvarint (pgno, frame offset, frame size) per page, uvarint 0,
 *              u64 length of the index (entries and terminator)
 * trailer      post-apply checksum u64, file checksum u64
 * </pre>
 *
 * <p>The writer's rules are enforced, each breach an {@link IllegalArgumentException} naming the
 * file: a valid header; pages in strictly increasing order, never the lock page, never above the
 * commit; a snapshot holds every page from 1 to the commit; with checksums, the post-apply
 * checksum has bit 63 set, a snapshot's equals the checksum of its pages and an empty database's is
 * {@link Checksums#EMPTY_DATABASE}; without checksums it is 0.
 *
 * <p>The output stream is flushed but not closed by {@link #finish}. Not thread-safe.
 */
public final class LtxEncoder {
    private static final int PAGE_FLAG_BLOCK = 0x1;
    private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();

    private final OutputStream out;
    private final LtxHeader header;
    private final String name;
    private final PageEncoding encoding;
    private final int pageSize;
    private final int lockPgno;
    private final byte[] buf;
    private final byte[] frameScratch;
    private final PageIndexBuilder index = new PageIndexBuilder();
    private final DatabaseChecksum pagesChecksum = new DatabaseChecksum();

    private int bufPos;
    private long flushed;
    private long fileCrc;
    private int prevPgno;
    private boolean finished;

    /** Starts a file with the current (block) page encoding. */
    public LtxEncoder(OutputStream out, LtxHeader header, String name) throws IOException {
        this(out, header, name, PageEncoding.BLOCK);
    }

    public LtxEncoder(OutputStream out, LtxHeader header, String name, PageEncoding encoding) throws IOException {
        this.out = out;
        this.header = header;
        this.name = name;
        this.encoding = encoding;
        var problems = header.problems();
        if (!problems.isEmpty()) {
            throw misuse("invalid header: " + String.join("; ", problems));
        }
        this.pageSize = header.pageSize();
        this.lockPgno = header.lockPgno();
        int frameMax = 10 + Math.max(LZ4.maxCompressedLength(pageSize), Lz4Frame.maxFrameLength(pageSize));
        this.buf = new byte[Math.max(1 << 16, 2 * frameMax)];
        this.frameScratch = encoding == PageEncoding.FRAME ? new byte[LZ4.maxCompressedLength(pageSize)] : null;
        header.writeTo(buf, 0);
        bufPos = LtxHeader.SIZE;
        fileCrc = Crc64.of(buf, 0, LtxHeader.SIZE);
    }

    public LtxHeader header() {
        return header;
    }

    /** Adds page {@code pgno} from {@code data[0 .. pageSize)}. */
    public void writePage(int pgno, byte[] data) throws IOException {
        writePage(pgno, data, 0);
    }

    /** Adds page {@code pgno} from {@code data[off .. off + pageSize)}. */
    public void writePage(int pgno, byte[] data, int off) throws IOException {
        checkPageOrder(pgno);
        if (data.length - off < pageSize) {
            throw misuse("page %d: want %d bytes of data, got %d".formatted(pgno, pageSize, data.length - off));
        }
        byte[] page = data;
        if (off != 0 && encoding == PageEncoding.FRAME) {
            page = java.util.Arrays.copyOfRange(data, off, off + pageSize);
            off = 0;
        }
        if (buf.length - bufPos < 10 + Math.max(LZ4.maxCompressedLength(pageSize), Lz4Frame.maxFrameLength(pageSize))) {
            flushBuffer();
        }
        long frameOffset = position();
        int start = bufPos;
        putInt(buf, bufPos, pgno);
        int headerLen;
        if (encoding == PageEncoding.BLOCK) {
            putShort(buf, bufPos + 4, PAGE_FLAG_BLOCK);
            int n = LZ4.compress(data, off, pageSize, buf, bufPos + 10, buf.length - bufPos - 10);
            putInt(buf, bufPos + 6, n);
            headerLen = 10;
            bufPos += 10 + n;
        } else {
            putShort(buf, bufPos + 4, 0);
            headerLen = 6;
            bufPos += 6 + Lz4Frame.write(LZ4, page, pageSize, buf, bufPos + 6, frameScratch);
        }
        long dataCrc = Crc64.of(data, off, pageSize);
        fileCrc = Crc64.combine(Crc64.update(fileCrc, buf, start, headerLen), dataCrc, pageSize);
        if (header.isSnapshot()) {
            pagesChecksum.add(Checksums.ofPageCrc(pgno, dataCrc, pageSize));
        }
        index.add(pgno, frameOffset, bufPos - start);
        prevPgno = pgno;
    }

    /**
     * For a snapshot, the database checksum of the pages written so far (after the last page, the
     * checksum to pass to {@link #finish}).
     */
    public long snapshotChecksum() {
        if (!header.isSnapshot()) {
            throw misuse("a database checksum of the pages is only known for snapshots");
        }
        return pagesChecksum.value();
    }

    /**
     * Writes the end of pages, the page index and the trailer, and flushes the stream.
     *
     * @param postApplyChecksum the database checksum after this file is applied, or 0 for a file
     *     without checksums
     */
    public LtxTrailer finish(long postApplyChecksum) throws IOException {
        if (finished) {
            throw misuse("already finished");
        }
        checkComplete();
        checkPostApply(postApplyChecksum);
        finished = true;

        int indexBytes = 1;
        for (int i = 0; i < index.count(); i++) {
            indexBytes += Uvarint.length(index.pgno(i)) + Uvarint.length(index.offset(i)) + Uvarint.length(index.size(i));
        }
        putHashed(new byte[6], 6);
        byte[] entry = new byte[3 * Uvarint.MAX_LEN];
        for (int i = 0; i < index.count(); i++) {
            int n = Uvarint.put(entry, 0, index.pgno(i));
            n = Uvarint.put(entry, n, index.offset(i));
            n = Uvarint.put(entry, n, index.size(i));
            putHashed(entry, n);
        }
        entry[0] = 0;
        putHashed(entry, 1);
        byte[] tail = new byte[8];
        putLong(tail, 0, indexBytes);
        putHashed(tail, 8);
        putLong(tail, 0, postApplyChecksum);
        putHashed(tail, 8);
        long fileChecksum = Checksums.FLAG | fileCrc;
        putLong(tail, 0, fileChecksum);
        put(tail, 8);
        flushBuffer();
        out.flush();
        return new LtxTrailer(postApplyChecksum, fileChecksum);
    }

    /** Bytes of the file produced so far (the whole file after {@link #finish}). */
    public long position() {
        return flushed + bufPos;
    }

    public int pageCount() {
        return index.count();
    }

    private void checkPageOrder(int pgno) {
        if (finished) {
            throw misuse("page %d: already finished".formatted(pgno));
        }
        if (pgno <= 0) {
            throw misuse("page %d: want a page number from 1".formatted(pgno));
        }
        if (pgno == lockPgno) {
            throw misuse("page %d: the lock page is never stored".formatted(pgno));
        }
        if (Integer.compareUnsigned(pgno, header.commit()) > 0) {
            throw misuse("page %d: beyond the commit of %d pages".formatted(pgno, header.commit()));
        }
        if (pgno <= prevPgno) {
            throw misuse("page %d: want pages in increasing order, previous was %d".formatted(pgno, prevPgno));
        }
        int expected = nextSnapshotPgno();
        if (header.isSnapshot() && pgno != expected) {
            throw misuse("page %d: a snapshot holds every page, want page %d".formatted(pgno, expected));
        }
    }

    private int nextSnapshotPgno() {
        int next = prevPgno + 1;
        return next == lockPgno ? next + 1 : next;
    }

    private void checkComplete() {
        if (header.isSnapshot() && Integer.compareUnsigned(nextSnapshotPgno(), header.commit()) <= 0) {
            throw misuse("a snapshot holds every page up to the commit of %d, but page %d is missing"
                    .formatted(header.commit(), nextSnapshotPgno()));
        }
    }

    private void checkPostApply(long postApply) {
        String got = Checksums.format(postApply);
        if (header.noChecksum()) {
            if (postApply != 0) {
                throw misuse("post-apply checksum: want 0 in a file without checksums, got " + got);
            }
            return;
        }
        if ((postApply & Checksums.FLAG) == 0) {
            throw misuse("post-apply checksum: want bit 63 set, got " + got);
        }
        if (header.commit() == 0 && postApply != Checksums.EMPTY_DATABASE) {
            throw misuse("post-apply checksum: want %s for an empty database, got %s"
                    .formatted(Checksums.format(Checksums.EMPTY_DATABASE), got));
        }
        if (header.isSnapshot() && postApply != pagesChecksum.value()) {
            throw misuse("post-apply checksum: want %s, the checksum of the snapshot's pages, got %s"
                    .formatted(Checksums.format(pagesChecksum.value()), got));
        }
    }

    private void putHashed(byte[] b, int len) throws IOException {
        fileCrc = Crc64.update(fileCrc, b, 0, len);
        put(b, len);
    }

    private void put(byte[] b, int len) throws IOException {
        if (buf.length - bufPos < len) {
            flushBuffer();
        }
        System.arraycopy(b, 0, buf, bufPos, len);
        bufPos += len;
    }

    private void flushBuffer() throws IOException {
        out.write(buf, 0, bufPos);
        flushed += bufPos;
        bufPos = 0;
    }

    private IllegalArgumentException misuse(String detail) {
        return new IllegalArgumentException("encode ltx file " + name + ": " + detail);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
