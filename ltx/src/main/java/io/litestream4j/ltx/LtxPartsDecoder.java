package io.litestream4j.ltx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one local LTX file in parts that separate threads can take, and verifies it as
 * completely as {@link LtxDecoder} does once every part is done. For a restore whose largest file
 * would otherwise be decoded on one core while the others wait.
 *
 * <p>How: the page index (read first, by {@link LtxPageReader}) says where every frame is. A part
 * is a run of index entries; {@link #decode} reads its frames from their offset and checks that
 * each one is the page, offset and length its entry names, keeping a CRC-64 of the part alone
 * (frame headers, and each page's decompressed data in place of its compressed bytes, as the file
 * checksum is defined). {@link #verify} then joins the parts' CRCs with {@link Crc64#combine},
 * between the header and the end-of-pages marker, page index and trailer read again from the
 * file, and compares with the stored file checksum.
 *
 * <p>Verified once {@link #verify} returns: the header is the one the index was read with; the
 * frames follow one another from the header to the end-of-pages marker with no gap, each
 * decompressing to exactly one page; the index on disk is the one the parts were cut from; the
 * file checksum; no lock page; for a snapshot every page and its post-apply checksum. Pages
 * handed to a sink before then are not yet covered by the file checksum: write them somewhere
 * temporary, as with {@link LtxDecoder}.
 */
public final class LtxPartsDecoder {
    /** Receives each decoded page with the CRC-64 of its data; {@code data} is reused after the call. */
    @FunctionalInterface
    public interface PageSink {
        void page(int pgno, byte[] data, long dataCrc) throws IOException;
    }

    /**
     * A decoded run of index entries {@code [from, to)}: the CRC of its bytes as the file checksum
     * hashes them, how many bytes that is, and the XOR of its page checksums (for a snapshot).
     */
    public record Part(int from, int to, long crc, long hashedLength, long pagesChecksum) {}

    private static final int BUFFER_SIZE = 256 * 1024;

    private final Path file;
    private final String name;
    private final LtxPageReader reader;

    /** {@code reader}: the file's header and page index, as read from {@code file}. */
    public LtxPartsDecoder(Path file, String name, LtxPageReader reader) {
        this.file = file;
        this.name = name;
        this.reader = reader;
    }

    /**
     * Cuts the index into at most {@code parts} runs of about equal bytes, at least
     * {@code minBytes} each; returns the bounds: run k is entries {@code [b[k], b[k+1])}.
     */
    public int[] split(int parts, long minBytes) {
        PageIndex index = reader.index();
        int n = index.size();
        if (n == 0) {
            return new int[] {0, 0};
        }
        long start = index.offset(0);
        long total = index.offset(n - 1) + index.frameSize(n - 1) - start;
        int count = (int) Math.max(1, Math.min(parts, total / Math.max(1, minBytes)));
        List<Integer> bounds = new ArrayList<>();
        bounds.add(0);
        for (int k = 1, i = 0; k < count; k++) {
            long cut = start + total * k / count;
            while (i < n && index.offset(i) < cut) {
                i++;
            }
            if (i > bounds.getLast() && i < n) {
                bounds.add(i);
            }
        }
        bounds.add(n);
        return bounds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Decodes entries {@code [from, to)}, handing each page to {@code sink}; safe to call from several threads at once. */
    public Part decode(int from, int to, PageSink sink) throws IOException {
        PageIndex index = reader.index();
        int pageSize = reader.header().pageSize();
        byte[] page = new byte[pageSize];
        PageFrameReader frames = new PageFrameReader(name, pageSize);
        DatabaseChecksum pages = new DatabaseChecksum();
        boolean snapshotSums = reader.header().isSnapshot() && !reader.header().noChecksum();
        if (from >= to) {
            return new Part(from, to, 0, 0, 0);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position(index.offset(from));
            InputStream stream = Channels.newInputStream(ch);
            LtxInput in = new LtxInput(stream, name, BUFFER_SIZE, index.offset(from));
            for (int i = from; i < to; i++) {
                if (!frames.next(in, page)) {
                    throw new LtxFormatException(name, "offset %d: want page %d as the index says, got the end-of-pages marker"
                            .formatted(index.offset(i), Integer.toUnsignedLong(index.pgno(i))));
                }
                long end = in.offset();
                if (frames.pgno != index.pgno(i) || frames.frameOffset != index.offset(i) || end - frames.frameOffset != index.frameSize(i)) {
                    throw new LtxFormatException(name, "frame at offset %d: want page %d of %d bytes as the index says, got page %d of %d bytes"
                            .formatted(frames.frameOffset, Integer.toUnsignedLong(index.pgno(i)), index.frameSize(i),
                                    Integer.toUnsignedLong(frames.pgno), end - frames.frameOffset));
                }
                if (snapshotSums) {
                    pages.add(Checksums.ofPageCrc(frames.pgno, frames.dataCrc, pageSize));
                }
                sink.page(frames.pgno, page, frames.dataCrc);
            }
        }
        return new Part(from, to, frames.crc, frames.hashedLength, pages.value());
    }

    /**
     * Verifies the whole file from its decoded {@code parts} (in order, together every index
     * entry) and returns its trailer.
     */
    public LtxTrailer verify(List<Part> parts) throws IOException {
        LtxHeader header = reader.header();
        PageIndex index = reader.index();
        int n = index.size();
        int expectFrom = 0;
        for (Part p : parts) {
            if (p.from() != expectFrom) {
                throw new IllegalArgumentException("parts must cover the index in order: want a part from entry %d, got %d".formatted(expectFrom, p.from()));
            }
            expectFrom = p.to();
        }
        if (expectFrom != n) {
            throw new IllegalArgumentException("parts must cover the index: they end at entry %d of %d".formatted(expectFrom, n));
        }
        ByteRangeReader source = ByteRangeReader.of(file);
        byte[] head = source.read(0, LtxHeader.SIZE);
        if (!LtxHeader.parse(name, head, 0).equals(header)) {
            throw new LtxFormatException(name, "header changed since its page index was read");
        }
        long pagesEnd = LtxHeader.SIZE;
        for (int i = 0; i < n; i++) {
            if (index.offset(i) != pagesEnd) {
                throw new LtxFormatException(name, "page index entry %d: want the frame of page %d at offset %d, right after the one before, got %d"
                        .formatted(i, Integer.toUnsignedLong(index.pgno(i)), pagesEnd, index.offset(i)));
            }
            pagesEnd += index.frameSize(i);
            checkPage(header, index, i);
        }
        if (header.isSnapshot() && n != header.commit() - (header.lockPgno() <= header.commit() ? 1 : 0)) {
            throw new LtxFormatException(name, "snapshot holds %d pages, want every page up to the commit of %d"
                    .formatted(n, Integer.toUnsignedLong(header.commit())));
        }
        long length = source.length();
        long tailLength = length - pagesEnd;
        if (tailLength < 6 + 1 + LtxPageReader.TAIL || tailLength > Integer.MAX_VALUE) {
            throw new LtxFormatException(name, "end of pages at offset %d: want the marker, page index and trailer after it, the file ends at %d"
                    .formatted(pagesEnd, length));
        }
        byte[] tail = source.read(pagesEnd, (int) tailLength);
        for (int k = 0; k < 6; k++) {
            if (tail[k] != 0) {
                throw new LtxFormatException(name, "end-of-pages marker at offset %d: want 6 zero bytes".formatted(pagesEnd));
            }
        }
        int indexLength = tail.length - 6 - LtxPageReader.TAIL;
        java.nio.ByteBuffer trailerBytes = java.nio.ByteBuffer.wrap(tail, 6 + indexLength, LtxPageReader.TAIL);
        long storedIndexLength = trailerBytes.getLong();
        long postApply = trailerBytes.getLong();
        long fileChecksum = trailerBytes.getLong();
        if (storedIndexLength != indexLength) {
            throw new LtxFormatException(name, "page index length: want %d, got %d".formatted(indexLength, storedIndexLength));
        }
        byte[] rawIndex = java.util.Arrays.copyOfRange(tail, 6, 6 + indexLength);
        PageIndex onDisk = LtxPageReader.parseIndex(name, rawIndex, pagesEnd + 6, header);
        if (!onDisk.sameEntries(index)) {
            throw new LtxFormatException(name, "page index changed since the parts were cut (%d entries, now %d)".formatted(n, onDisk.size()));
        }

        long crc = Crc64.of(head);
        long pagesChecksum = Checksums.EMPTY_DATABASE;
        for (Part p : parts) {
            crc = Crc64.combine(crc, p.crc(), p.hashedLength());
            pagesChecksum ^= p.pagesChecksum() & ~Checksums.FLAG;
        }
        crc = Crc64.update(crc, tail, 0, 6 + indexLength + 16); // the marker, the index, its length and the post-apply checksum
        long computed = Checksums.FLAG | crc;
        if (fileChecksum != computed) {
            throw new LtxChecksumException(name, "file checksum", fileChecksum, computed);
        }
        LtxDecoder.checkPostApply(name, header, postApply, pagesChecksum);
        return new LtxTrailer(postApply, fileChecksum);
    }

    private void checkPage(LtxHeader header, PageIndex index, int i) throws LtxFormatException {
        int pgno = index.pgno(i);
        if (pgno == header.lockPgno()) {
            throw new LtxFormatException(name, "page index entry %d: the lock page %d is never stored".formatted(i, Integer.toUnsignedLong(pgno)));
        }
        if (header.isSnapshot()) {
            int want = i + 1 >= header.lockPgno() ? i + 2 : i + 1;
            if (pgno != want) {
                throw new LtxFormatException(name, "page index entry %d: a snapshot holds every page, want page %d, got %d".formatted(i, want,
                        Integer.toUnsignedLong(pgno)));
            }
        }
    }
}
