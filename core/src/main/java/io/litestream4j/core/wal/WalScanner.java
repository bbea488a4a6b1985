package io.litestream4j.core.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Reads a WAL file: its header, and the committed frames from a given offset.
 *
 * <p>A frame belongs to the current WAL only if its salts equal the header's and its checksum
 * continues the running checksum; the scan stops at the first frame that does not (a frame still
 * being written, or a leftover of an earlier WAL generation). Frames after the last commit frame
 * are left for a later scan: a transaction is taken whole or not at all.
 */
public final class WalScanner {
    /**
     * Bytes per read. Small enough that a short tail in a long file (SQLite reuses a restarted WAL
     * without shrinking it) costs little to read, and that NIO's direct buffer behind each read,
     * kept per thread, stays small.
     */
    private static final int READ_CHUNK = 256 << 10;

    private WalScanner() {}

    /** The WAL's header, or empty if the file is shorter than a header or the header is invalid. */
    public static Optional<WalHeader> readHeader(FileChannel wal) throws IOException {
        if (wal.size() < WalHeader.SIZE) {
            return Optional.empty();
        }
        byte[] b = new byte[WalHeader.SIZE];
        readFully(wal, ByteBuffer.wrap(b), 0);
        return WalHeader.parse(b);
    }

    /**
     * The running checksum just before the frame at {@code offset}: the header's for the first
     * frame, else the checksum stored in the previous frame, whose salts must match the header.
     * Empty if that frame is missing or from another generation.
     */
    public static Optional<Long> checksumBefore(FileChannel wal, WalHeader header, long offset) throws IOException {
        if (offset == WalHeader.SIZE) {
            return Optional.of(header.checksum());
        }
        long prev = offset - header.frameSize();
        if (prev < WalHeader.SIZE || (prev - WalHeader.SIZE) % header.frameSize() != 0 || wal.size() < offset) {
            return Optional.empty();
        }
        ByteBuffer fh = ByteBuffer.allocate(WalHeader.FRAME_HEADER_SIZE);
        readFully(wal, fh, prev);
        fh.flip();
        fh.position(8);
        if (fh.getInt() != header.salt1() || fh.getInt() != header.salt2()) {
            return Optional.empty();
        }
        return Optional.of(WalChecksum.pack(fh.getInt(), fh.getInt()));
    }

    /**
     * Scans committed frames from {@code start} (a frame boundary) whose running checksum before
     * it is {@code checksum}.
     */
    public static WalSegment scan(FileChannel wal, WalHeader header, long start, long checksum) throws IOException {
        return scan(wal, header, start, checksum, Long.MAX_VALUE);
    }

    /**
     * {@link #scan(FileChannel, WalHeader, long, long)}, stopping at the first commit that ends at
     * least {@code maxBytes} past {@code start}: a segment is at most {@code maxBytes} plus its
     * last transaction, and one whose size reaches {@code maxBytes} may have more frames after it.
     * A transaction larger than {@code maxBytes} is still taken whole.
     */
    public static WalSegment scan(FileChannel wal, WalHeader header, long start, long checksum, long maxBytes) throws IOException {
        int frameSize = header.frameSize();
        long size = wal.size();
        Map<Integer, Long> committed = new HashMap<>();
        Map<Integer, Long> pending = new HashMap<>();
        long end = start;
        long endChecksum = checksum;
        int commit = 0;
        // Sized to what there is to read, up to READ_CHUNK: a sync after a light write reads a
        // frame or two, and a large array for each of them is garbage that fills the heap.
        long framesToRead = Math.max(size - start, 0) / frameSize;
        byte[] buf = new byte[(int) Math.clamp(framesToRead, 1, Math.max(READ_CHUNK / frameSize, 1)) * frameSize];
        long offset = start;
        boolean bigEndian = header.bigEndianChecksums();
        scan:
        while (offset + frameSize <= size) {
            int frames = (int) Math.min(buf.length / frameSize, (size - offset) / frameSize);
            int n = frames * frameSize;
            readFully(wal, ByteBuffer.wrap(buf, 0, n), offset);
            for (int f = 0; f < frames; f++, offset += frameSize) {
                int p = f * frameSize;
                int pgno = WalChecksum.intBE(buf, p);
                int frameCommit = WalChecksum.intBE(buf, p + 4);
                if (pgno == 0 || WalChecksum.intBE(buf, p + 8) != header.salt1() || WalChecksum.intBE(buf, p + 12) != header.salt2()) {
                    break scan;
                }
                long sum = WalChecksum.update(bigEndian, checksum, buf, p, 8);
                sum = WalChecksum.update(bigEndian, sum, buf, p + WalHeader.FRAME_HEADER_SIZE, header.pageSize());
                if (WalChecksum.first(sum) != WalChecksum.intBE(buf, p + 16) || WalChecksum.second(sum) != WalChecksum.intBE(buf, p + 20)) {
                    break scan;
                }
                checksum = sum;
                pending.put(pgno, offset);
                if (frameCommit != 0) {
                    committed.putAll(pending);
                    pending.clear();
                    commit = frameCommit;
                    end = offset + frameSize;
                    endChecksum = checksum;
                    if (end - start >= maxBytes) {
                        break scan;
                    }
                }
            }
        }
        int[] pgnos = committed.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        long[] offsets = new long[pgnos.length];
        for (int i = 0; i < pgnos.length; i++) {
            offsets[i] = committed.get(pgnos[i]);
        }
        return new WalSegment(start, end, commit, endChecksum, pgnos, offsets);
    }

    /**
     * The pages of the first {@code count} entries of {@code segment}, read in chunks of up to
     * READ_CHUNK over the frames they lie in: a read per page costs a system call each, and one
     * read of the whole segment a direct buffer of its size inside NIO, kept per thread.
     */
    public static byte[][] readPages(FileChannel wal, WalSegment segment, int count, int pageSize) throws IOException {
        int frameSize = WalHeader.FRAME_HEADER_SIZE + pageSize;
        long[] offsets = segment.frameOffsets();
        int[] byOffset = IntStream.range(0, count).boxed()
                .sorted(Comparator.comparingLong(i -> offsets[i])).mapToInt(Integer::intValue).toArray();
        byte[] buf = new byte[(int) Math.min(Math.max(READ_CHUNK / frameSize, 1) * (long) frameSize, segment.end() - segment.start())];
        byte[][] pages = new byte[count][];
        long chunkStart = 0;
        long chunkEnd = 0;
        for (int i : byOffset) {
            long offset = offsets[i];
            if (offset < chunkStart || offset + frameSize > chunkEnd) {
                chunkStart = offset;
                chunkEnd = Math.min(segment.end(), offset + buf.length);
                readFully(wal, ByteBuffer.wrap(buf, 0, (int) (chunkEnd - chunkStart)), chunkStart);
            }
            int from = (int) (offset - chunkStart) + WalHeader.FRAME_HEADER_SIZE;
            pages[i] = Arrays.copyOfRange(buf, from, from + pageSize);
        }
        return pages;
    }

    /** Reads the page of the frame at {@code frameOffset} into {@code page}. */
    public static void readPage(FileChannel wal, long frameOffset, byte[] page) throws IOException {
        readFully(wal, ByteBuffer.wrap(page), frameOffset + WalHeader.FRAME_HEADER_SIZE);
    }

    static void readFully(FileChannel ch, ByteBuffer bb, long position) throws IOException {
        long pos = position;
        while (bb.hasRemaining()) {
            int r = ch.read(bb, pos);
            if (r < 0) {
                throw new EOFException("wal ends at offset %d, want %d more bytes".formatted(pos, bb.remaining()));
            }
            pos += r;
        }
    }
}
