package io.litestream4j.vfs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaReads;
import io.litestream4j.ltx.ByteRangeReader;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxPageReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One LTX file of the replica, read page by page with ranged reads: its header and page index are
 * read when it is opened, each page's frame on demand. A run of neighbouring frames can be fetched
 * with one ranged read ({@link #readPages}), which is what prefetch uses. A small file is fetched
 * whole and verified like a restore verifies it (file checksum included); a large one is checked
 * frame by frame (page number, sizes, decompression) but its file checksum, which needs every
 * byte, is not.
 *
 * <p>On a store without server-side ranged reads ({@link ReplicaReads#serverSide} false: NATS), a
 * part of a file costs a stream from the file's start, so a file too big to keep in memory is
 * downloaded whole once into a temporary local file, verified completely, and its pages are read
 * from there. The temporary file is deleted when no state uses this file any more (a cleaner
 * runs when it becomes unreachable) and when the VFS closes.
 */
final class ReplicaFile {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ReplicaClient client;
    private final LtxFileInfo info;
    private final String name;
    private final LtxPageReader reader;
    private final int cacheId = IDS.incrementAndGet();
    private final LongAdder bytesFetched;
    /** A block already fetched for the current thread's {@link #readPages}, served before the replica. */
    private final ThreadLocal<Window> window = new ThreadLocal<>();
    /** The whole file, for files up to {@link #WHOLE_FILE_BYTES}: one request instead of three to open, none per page. */
    private final byte[] whole;
    /** The whole file on local disk, on a store without ranged reads, for files above {@link #WHOLE_FILE_BYTES}; else null. */
    private final LocalCopy local;
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /** A downloaded file and its channel; closing deletes it. Holds no reference to its {@link ReplicaFile}. */
    private record LocalCopy(java.nio.file.Path path, java.nio.channels.FileChannel channel) implements Runnable {
        @Override
        public void run() {
            try {
                channel.close();
                java.nio.file.Files.deleteIfExists(path);
            } catch (IOException e) {
                System.getLogger(ReplicaFile.class.getName()).log(System.Logger.Level.WARNING, "delete {0}: {1}", path, e.toString());
            }
        }
    }

    /**
     * Files up to this size are fetched whole when opened and kept while a state uses them: L0
     * files (one sync each) are mostly a few pages, and on an object store a request costs far
     * more than the bytes.
     */
    static final int WHOLE_FILE_BYTES = 256 << 10;

    private record Window(long offset, byte[] data) {}

    private ReplicaFile(ReplicaClient client, LtxFileInfo info, LongAdder bytesFetched) throws IOException {
        this.client = client;
        this.info = info;
        this.name = "%s: %d/%s".formatted(client.location(), info.level(), info.fileName());
        this.bytesFetched = bytesFetched;
        this.whole = info.size() <= WHOLE_FILE_BYTES ? verified(fetchWhole()) : null;
        this.local = whole == null && !ReplicaReads.serverSide(client) ? download() : null;
        this.cleanable = local != null ? CLEANER.register(this, local) : null;
        this.reader = LtxPageReader.open(new Ranges(), name);
    }

    /** Opens {@code info}: reads its header and page index (three ranged reads). */
    static ReplicaFile open(ReplicaClient client, LtxFileInfo info, LongAdder bytesFetched) throws IOException {
        return new ReplicaFile(client, info, bytesFetched);
    }

    LtxFileInfo info() {
        return info;
    }

    /** The file as messages name it: the replica's location, level and file name. */
    String name() {
        return name;
    }

    LtxPageReader reader() {
        return reader;
    }

    /** Tells this file's pages apart from every other file's in the page cache. */
    int cacheId() {
        return cacheId;
    }

    /** Reads page {@code pgno} (entry {@code entry} of the index) into {@code dst}. */
    void readPage(int pgno, byte[] dst) throws IOException {
        if (!reader.readPage(pgno, dst)) {
            throw new IOException("%s: page %d is not in the file's page index".formatted(name, pgno));
        }
    }

    /**
     * Reads the pages of index entries {@code from} to {@code to} (inclusive) with one ranged read;
     * {@code sink} receives each page number and its bytes (a new array each).
     */
    void readPages(int from, int to, PageSink sink) throws IOException {
        var index = reader.index();
        if (whole != null) {
            for (int i = from; i <= to; i++) {
                byte[] page = new byte[reader.header().pageSize()];
                readPage(index.pgno(i), page);
                sink.accept(index.pgno(i), page);
            }
            return;
        }
        long start = index.offset(from);
        long end = index.offset(to) + index.frameSize(to);
        window.set(new Window(start, fetch(start, (int) (end - start))));
        try {
            for (int i = from; i <= to; i++) {
                byte[] page = new byte[reader.header().pageSize()];
                readPage(index.pgno(i), page);
                sink.accept(index.pgno(i), page);
            }
        } finally {
            window.remove();
        }
    }

    interface PageSink {
        void accept(int pgno, byte[] page);
    }

    /** {@code file} after checking every frame, the page index and the file checksum (as the restore does). */
    private byte[] verified(byte[] file) throws IOException {
        try (io.litestream4j.ltx.LtxDecoder d = new io.litestream4j.ltx.LtxDecoder(new java.io.ByteArrayInputStream(file), name)) {
            d.verify();
        }
        return file;
    }

    /** Downloads the whole file to a temporary file (one stream from the store) and verifies it as a restore does. */
    private LocalCopy download() throws IOException {
        java.nio.file.Path path = java.nio.file.Files.createTempFile("litestream-vfs-", ".ltx");
        try {
            try (InputStream in = client.open(info.level(), info.range())) {
                bytesFetched.add(java.nio.file.Files.copy(in, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING));
            }
            try (io.litestream4j.ltx.LtxDecoder d = new io.litestream4j.ltx.LtxDecoder(java.nio.file.Files.newInputStream(path), name)) {
                d.verify();
            }
            return new LocalCopy(path, java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.READ));
        } catch (IOException | RuntimeException e) {
            java.nio.file.Files.deleteIfExists(path);
            throw e;
        }
    }

    /**
     * The whole file in one read. Its length is what the store streams, not the listed size: an
     * age replica read without its recipients lists the ciphertext's size, larger than the
     * plaintext (the file checksum, checked next, catches a short file).
     */
    private byte[] fetchWhole() throws IOException {
        try (InputStream in = client.open(info.level(), info.range())) {
            byte[] b = in.readNBytes(WHOLE_FILE_BYTES + 1);
            bytesFetched.add(b.length);
            if (b.length > WHOLE_FILE_BYTES) {
                throw new IOException("%s: listed as %d bytes, reads as more than %d".formatted(name, info.size(), WHOLE_FILE_BYTES));
            }
            return b;
        }
    }

    /** Deletes the local copy now, if there is one (the VFS is closing). */
    void release() {
        if (cleanable != null) {
            cleanable.clean(); // runs once, here or when this file becomes unreachable
        }
    }

    private byte[] fetch(long offset, int length) throws IOException {
        if (local != null) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
            while (b.hasRemaining() && local.channel().read(b, offset + b.position()) > 0) {
                // positional reads until the range is full or the file ends
            }
            if (b.hasRemaining()) {
                throw new EOFException("%s: want %d bytes at offset %d, got %d".formatted(name, length, offset, b.position()));
            }
            return b.array();
        }
        try (InputStream in = io.litestream4j.core.replica.ReplicaReads.open(client, info.level(), info.range(), offset, length)) {
            byte[] b = in.readNBytes(length);
            bytesFetched.add(b.length);
            if (b.length != length) {
                throw new EOFException("%s: want %d bytes at offset %d, got %d".formatted(name, length, offset, b.length));
            }
            return b;
        }
    }

    /** Byte ranges of this file: from the prefetched window when it covers them, else from the replica. */
    private final class Ranges implements ByteRangeReader {
        @Override
        public long length() throws IOException {
            return whole != null ? whole.length : local != null ? local.channel().size() : info.size();
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            if (whole != null) {
                if (offset < 0 || offset + length > whole.length) {
                    throw new EOFException("%s: want %d bytes at offset %d, the file has %d".formatted(name, length, offset, whole.length));
                }
                return java.util.Arrays.copyOfRange(whole, (int) offset, (int) offset + length);
            }
            Window w = window.get();
            if (w != null && offset >= w.offset() && offset + length <= w.offset() + w.data().length) {
                int from = (int) (offset - w.offset());
                return java.util.Arrays.copyOfRange(w.data(), from, from + length);
            }
            return fetch(offset, length);
        }
    }
}
