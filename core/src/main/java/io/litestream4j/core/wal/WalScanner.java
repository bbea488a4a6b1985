package io.litestream4j.core.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a WAL file: its header, and the committed frames from a given offset.
 *
 * <p>A frame belongs to the current WAL only if its salts equal the header's and its checksum
 * continues the running checksum; the scan stops at the first frame that does not (a frame still
 * being written, or a leftover of an earlier WAL generation). Frames after the last commit frame
 * are left for a later scan: a transaction is taken whole or not at all.
 */
public final class WalScanner {
    private static final int READ_CHUNK = 1 << 20;
    private static final int FIRST_CHUNK_FRAMES = 8;

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
        int frameSize = header.frameSize();
        long size = wal.size();
        Map<Integer, Long> committed = new HashMap<>();
        Map<Integer, Long> pending = new HashMap<>();
        long end = start;
        long endChecksum = checksum;
        int commit = 0;
        // Reads start small and double up to READ_CHUNK: a sync after a light write finds a frame
        // or two, often in a file far longer than that (SQLite reuses a restarted WAL without
        // shrinking it), and reading a whole chunk for them costs time and heap.
        int maxChunkFrames = Math.max(READ_CHUNK / frameSize, 1);
        int chunkFrames = Math.min(FIRST_CHUNK_FRAMES, maxChunkFrames);
        byte[] buf = new byte[0];
        long offset = start;
        boolean bigEndian = header.bigEndianChecksums();
        scan:
        while (offset + frameSize <= size) {
            int frames = (int) Math.min(chunkFrames, (size - offset) / frameSize);
            int n = frames * frameSize;
            if (buf.length < n) {
                buf = new byte[n];
            }
            chunkFrames = Math.min(chunkFrames * 2, maxChunkFrames);
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

    /** Reads the page of the frame at {@code frameOffset} into {@code page}. */
    public static void readPage(FileChannel wal, long frameOffset, byte[] page) throws IOException {
        readFully(wal, ByteBuffer.wrap(page), frameOffset + WalHeader.FRAME_HEADER_SIZE);
    }

    public static void readFully(FileChannel ch, ByteBuffer bb, long position) throws IOException {
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
