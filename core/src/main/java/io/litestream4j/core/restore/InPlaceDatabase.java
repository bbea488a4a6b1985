package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.ltx.PageSizes;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * A SQLite database file changed in place the way SQLite itself commits in rollback-journal mode,
 * so that SQLite connections reading the file from other processes see the state before a change
 * or the state after it, never a part. Each {@link Change}:
 *
 * <ol>
 *   <li>takes the RESERVED lock (POSIX write lock on byte {@code PENDING+1}, as SQLite's unix VFS):
 *       readers go on reading, and a journal they see now is not "hot";
 *   <li>writes the rollback journal {@code <db>-journal} with the original of every page that
 *       will change or be cut off, fsyncs it, writes its record count, fsyncs it and the folder;
 *   <li>takes PENDING (no new readers) and EXCLUSIVE (the 510 SHARED bytes: waits for the readers'
 *       read transactions to end);
 *   <li>writes the pages, sets the file's size, moves page 1's change counter on (so every reader
 *       drops its page cache; the counter of the page the replica holds may not have changed) and
 *       fsyncs;
 *   <li>deletes the journal, the commit point, fsyncs the folder, and lets go of the locks.
 * </ol>
 *
 * A crash between 2 and 5 leaves a hot journal: the next connection that may write the file puts
 * the originals back (SQLite's own recovery; {@link #open} runs it), and read-only connections get
 * an error rather than a torn state. Page 1 is always stored in rollback mode (bytes 18-19 = 1):
 * a WAL-mode header would make readers use the WAL's locks, which this protocol does not take.
 *
 * <p>Journal layout (SQLite's {@code pager.c}; integers big-endian):
 *
 * <pre>
 * offset  size  field
 *      0     8  magic d9 d5 05 f9 20 a1 63 d7
 *      8     4  record count (0 until the records are durable)
 *     12     4  checksum nonce
 *     16     4  database size in pages before the change
 *     20     4  sector size = size of this header
 *     24     4  page size
 *   4096     -  records: page number u32, page, checksum u32 (nonce + every 200th byte from the end)
 * </pre>
 *
 * <p>Only one process may change the file (SQLite's RESERVED lock refuses a second); this process
 * must not open the file through SQLite while a {@code Change} is open (closing any descriptor of
 * a file drops all of the process's POSIX locks on it). Not thread-safe.
 */
final class InPlaceDatabase implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(InPlaceDatabase.class);
    static final byte[] JOURNAL_MAGIC = {(byte) 0xd9, (byte) 0xd5, 0x05, (byte) 0xf9, 0x20, (byte) 0xa1, 0x63, (byte) 0xd7};
    private static final int SECTOR = 4096;
    private static final long PENDING = PageSizes.PENDING_BYTE;
    private static final long RESERVED = PENDING + 1;
    private static final long SHARED_FIRST = PENDING + 2;
    private static final int SHARED_SIZE = 510;
    /** Between two attempts at a lock readers hold; SQLite's own busy handler sleeps about as long. */
    private static final Duration LOCK_RETRY = Duration.ofMillis(2);
    /** How often a wait for readers is logged. */
    private static final Duration WAIT_LOG = Duration.ofSeconds(10);

    private final Path db;
    private final Path journal;
    private final FileChannel channel;
    private final int pageSize;
    private final BooleanSupplier stopped;

    private InPlaceDatabase(Path db, FileChannel channel, int pageSize, BooleanSupplier stopped) {
        this.db = db;
        this.journal = journalOf(db);
        this.channel = channel;
        this.pageSize = pageSize;
        this.stopped = stopped;
    }

    static Path journalOf(Path db) {
        return db.resolveSibling(db.getFileName() + "-journal");
    }

    /**
     * Opens {@code db} for changes, first rolling back a hot journal a crash left (through SQLite,
     * as its readers would). {@code stopped} ends waits for readers.
     */
    static InPlaceDatabase open(Path db, BooleanSupplier stopped) throws IOException {
        Path abs = db.toAbsolutePath();
        recover(abs);
        FileChannel ch = FileChannel.open(abs, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(100);
            while (header.hasRemaining() && ch.read(header, header.position()) > 0) {
                // read the header
            }
            if (header.hasRemaining()) {
                throw new IOException("%s: %d bytes, too short for a SQLite database header".formatted(abs, header.position()));
            }
            int raw = header.getShort(16) & 0xffff;
            int pageSize = raw == 1 ? 65536 : raw;
            if (!PageSizes.isValid(pageSize)) {
                throw new IOException("%s: page size %d in the header is not a SQLite page size".formatted(abs, pageSize));
            }
            return new InPlaceDatabase(abs, ch, pageSize, stopped);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Rolls back the hot journal of {@code db}, if there is one, by opening it with SQLite (which
     * plays a hot journal back on its first read). A journal SQLite leaves in place is an error.
     */
    static void recover(Path db) throws IOException {
        Path journal = journalOf(db);
        if (!Files.exists(journal)) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "{0}: rolling back the unfinished change that {1} holds (a crash while applying)", db, journal);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
            rs.next();
        } catch (SQLException e) {
            throw new IOException("%s: rolling back %s failed: %s".formatted(db, journal, e.getMessage()), e);
        }
        if (Files.exists(journal)) {
            if (Files.size(journal) >= JOURNAL_MAGIC.length && !hasMagic(journal)) {
                Files.delete(journal); // not a journal SQLite would play back: nothing to undo
            } else if (Files.size(journal) > 0) {
                throw new IOException("%s: SQLite did not roll back %s; it may be held by a process writing the database".formatted(db, journal));
            }
        }
    }

    private static boolean hasMagic(Path journal) throws IOException {
        try (var in = Files.newInputStream(journal)) {
            return Arrays.equals(in.readNBytes(JOURNAL_MAGIC.length), JOURNAL_MAGIC);
        }
    }

    int pageSize() {
        return pageSize;
    }

    /** The database's size in pages (its file's length over the page size). */
    int pageCount() throws IOException {
        return (int) (channel.size() / pageSize);
    }

    /** Reads page {@code pgno} (zeros past the end of the file). */
    byte[] readPage(int pgno) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(pageSize);
        long pos = (long) (pgno - 1) * pageSize;
        while (b.hasRemaining()) {
            int n = channel.read(b, pos + b.position());
            if (n < 0) {
                break;
            }
        }
        return b.array();
    }

    /**
     * Starts a change that may write or cut off the pages {@code changing} (of the current size;
     * page 1 is always included): journals their originals and takes the exclusive lock. Readers
     * still reading are waited for; {@code stopped} ends the wait with an
     * {@link InterruptedIOException} and nothing changed.
     */
    Change begin(int[] changing) throws IOException {
        int origPages = pageCount();
        int lockPgno = PageSizes.lockPgno(pageSize);
        int[] pages = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(1), Arrays.stream(changing))
                .filter(p -> p >= 1 && p <= origPages && p != lockPgno).sorted().distinct().toArray();
        FileLock reserved = lock(RESERVED, 1, "RESERVED");
        Change change = new Change(origPages, reserved);
        try {
            change.journal(pages);
            change.pending = lock(PENDING, 1, "PENDING");
            change.exclusive = lock(SHARED_FIRST, SHARED_SIZE, "EXCLUSIVE");
            return change;
        } catch (IOException | RuntimeException e) {
            change.abandon();
            throw e;
        }
    }

    /** Takes a POSIX write lock on the given bytes, retrying while another process holds them. */
    private FileLock lock(long position, long size, String name) throws IOException {
        long start = System.nanoTime();
        long nextLog = start + WAIT_LOG.toNanos();
        while (true) {
            FileLock l = channel.tryLock(position, size, false);
            if (l != null) {
                return l;
            }
            if (stopped.getAsBoolean()) {
                throw new InterruptedIOException("%s: stopped while waiting for the %s lock".formatted(db, name));
            }
            long now = System.nanoTime();
            if (now >= nextLog) {
                LOG.log(System.Logger.Level.WARNING, "{0}: waiting {1} s for the {2} lock: readers of the file are still in read transactions",
                        db, Duration.ofNanos(now - start).toSeconds(), name);
                nextLog = now + WAIT_LOG.toNanos();
            }
            try {
                Thread.sleep(LOCK_RETRY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("%s: interrupted while waiting for the %s lock".formatted(db, name));
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** One change of the database under the exclusive lock; {@link #commit} or {@link #close} ends it. */
    final class Change implements AutoCloseable {
        private final int origPages;
        private final FileLock reserved;
        private FileLock pending;
        private FileLock exclusive;
        private int origCounter;
        private byte[] page1;
        private boolean touched;
        private boolean done;

        private Change(int origPages, FileLock reserved) {
            this.origPages = origPages;
            this.reserved = reserved;
        }

        private void journal(int[] pages) throws IOException {
            int nonce = ThreadLocalRandom.current().nextInt();
            try (FileChannel j = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer header = ByteBuffer.allocate(SECTOR);
                header.put(JOURNAL_MAGIC).putInt(0).putInt(nonce).putInt(origPages).putInt(SECTOR).putInt(pageSize).clear();
                writeFully(j, header, 0);
                long pos = SECTOR;
                ByteBuffer record = ByteBuffer.allocate(4 + pageSize + 4);
                for (int pgno : pages) {
                    byte[] data = readPage(pgno);
                    if (pgno == 1) {
                        page1 = data.clone();
                        origCounter = ByteBuffer.wrap(data).getInt(24);
                    }
                    record.clear();
                    record.putInt(pgno).put(data).putInt(checksum(nonce, data)).flip();
                    writeFully(j, record, pos);
                    pos += record.capacity();
                }
                j.force(true);
                writeFully(j, ByteBuffer.allocate(4).putInt(0, pages.length), 8);
                j.force(true);
            }
            AtomicFiles.syncDirectory(db.getParent());
        }

        /** SQLite's journal record checksum: the nonce plus every 200th byte counted back from the page's end. */
        private int checksum(int nonce, byte[] data) {
            int sum = nonce;
            for (int i = pageSize - 200; i > 0; i -= 200) {
                sum += data[i] & 0xff;
            }
            return sum;
        }

        /** Cuts the file to {@code pages} pages or extends it with zeros (pages past the old end read as zeros). */
        void resize(int pages) throws IOException {
            touched = true;
            long size = (long) pages * pageSize;
            if (channel.size() > size) {
                channel.truncate(size);
            } else if (channel.size() < size) {
                writeFully(channel, ByteBuffer.allocate(1), size - 1);
            }
        }

        /** Writes page {@code pgno} (page 1 in rollback mode, its counter set at commit). The lock page is never written. */
        void write(int pgno, byte[] data) throws IOException {
            if (pgno == PageSizes.lockPgno(pageSize)) {
                return;
            }
            touched = true;
            if (pgno == 1) {
                page1 = data.clone();
                return; // written last, with its counter
            }
            writeFully(channel, ByteBuffer.wrap(data, 0, pageSize), (long) (pgno - 1) * pageSize);
        }

        /** Sets the size to {@code pages}, writes page 1 with a new change counter, fsyncs, deletes the journal and lets go. */
        void commit(int pages) throws IOException {
            resize(pages);
            if (page1 == null) {
                page1 = readPage(1);
            }
            ByteBuffer p1 = ByteBuffer.wrap(page1);
            page1[18] = 1; // file format write/read version: rollback journal, not WAL
            page1[19] = 1;
            int counter = origCounter + 1;
            p1.putInt(24, counter).putInt(28, pages).putInt(92, counter); // size valid for this counter
            writeFully(channel, ByteBuffer.wrap(page1), 0);
            channel.force(true);
            Files.delete(journal);
            AtomicFiles.syncDirectory(db.getParent());
            done = true;
            release();
        }

        /** Without a commit: deletes the journal if nothing was written, else leaves it for {@link #recover}; lets go. */
        private void abandon() throws IOException {
            done = true;
            try {
                if (!touched) {
                    Files.deleteIfExists(journal);
                }
            } finally {
                release();
            }
        }

        private void release() throws IOException {
            for (FileLock l : new FileLock[] {exclusive, pending, reserved}) {
                if (l != null && l.isValid()) {
                    l.release();
                }
            }
        }

        /** Ends an uncommitted change: the originals go back from the journal, through SQLite, as after a crash. */
        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            boolean rollBack = touched;
            abandon();
            if (rollBack) {
                recover(db);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
