package io.litestream4j.core;

import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalSegment;
import java.util.Optional;

/**
 * Where our copy of a WAL stands: its generation (the header's salts), the offset just past the
 * last committed frame copied, and the running WAL checksum there, from which the next scan
 * continues.
 */
record WalPosition(int salt1, int salt2, long end, long checksum) {
    /** Before the first frame of the WAL with {@code header}. */
    static WalPosition start(WalHeader header) {
        return new WalPosition(header.salt1(), header.salt2(), WalHeader.SIZE, header.checksum());
    }

    /** Just past {@code copied}, a segment of the WAL with {@code header} (at its start if it is empty). */
    static WalPosition after(WalHeader header, WalSegment copied) {
        return copied.isEmpty() ? start(header) : new WalPosition(header.salt1(), header.salt2(), copied.end(), copied.endChecksum());
    }

    /** Where a whole-image file leaves us: past every committed frame of the WAL, or nowhere without one. */
    static Optional<WalPosition> afterAll(Optional<WalHeader> header, WalSegment all) {
        return header.map(h -> after(h, all));
    }

    boolean sameGeneration(WalHeader header) {
        return header.sameGeneration(salt1, salt2);
    }

    boolean sameGeneration(WalPosition other) {
        return other.salt1 == salt1 && other.salt2 == salt2;
    }

    /** Committed frames from the WAL's start up to here. */
    long frames(int pageSize) {
        return (end - WalHeader.SIZE) / (WalHeader.FRAME_HEADER_SIZE + pageSize);
    }
}
