package io.litestream4j.vfs;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.core.restore.FollowTxidFile;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Hydration: copies the followed state of the replica into a local file in the background and
 * keeps it following, so that reads come from the local disk instead of the replica.
 *
 * <p>Which pages a read may take from the local file: the file's page {@code p} carries in memory
 * where it was copied from (the replica file and the entry of its page index). A read of page
 * {@code p} of a state takes the local copy only when the state has the page at that very
 * location, so it gets the same bytes as from the replica; any other read goes to the replica as
 * before. Copying a page and checking a location happen under one lock (held for one page), so a
 * read never sees a page half-written, whatever state its read transaction holds.
 *
 * <p>What a later open trusts: the file is a whole state only when its TXID file ({@code PATH-txid},
 * 16 hex digits, as {@code restore -f} keeps it) exists. It is written, atomically, after the pages
 * of that state and the file's size are on disk (fsync), and deleted (the folder fsynced) before
 * the next page is changed in place. A VFS started with a TXID file plans that TXID on the replica
 * and follows on from it; without one, or when that TXID can no longer be planned, the file is
 * emptied and copied again. A crash or kill at any moment therefore leaves either a TXID file that
 * names the file's state, or none. The file is stored in rollback-journal mode (header bytes
 * 18-19 = 1), so SQLite opens it on its own as the database at that TXID.
 *
 * <p>Not guaranteed: another process reading the file while it follows sees whole states (use
 * {@code restore -f} for that: it changes the file under SQLite's locks).
 */
final class Hydrator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Hydrator.class.getName());
    /** Pages copied with one ranged read of a replica file at most. */
    private static final int RUN_PAGES = 256;
    private static final long NONE = -1;
    private static final long ZEROS = -2;

    private final String vfsName;
    private final Path path;
    private final FileChannel channel;
    private final Supplier<PageMap> newest;
    private final ReplicaStates states;
    private final long pollMillis;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Thread thread;
    /** Per page (index pgno - 1): where the local copy came from ({@link #location}), {@link #NONE} or {@link #ZEROS}; guarded by {@link #lock}. */
    private long[] copiedFrom = new long[0];
    private int pageSize;
    private volatile long hydratedTxid;
    private volatile String lastError;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.LongAdder pagesCopied = new java.util.concurrent.atomic.LongAdder();

    private Hydrator(String vfsName, Path path, Supplier<PageMap> newest, ReplicaStates states, long pollMillis) throws IOException {
        this.vfsName = vfsName;
        this.path = path.toAbsolutePath();
        this.newest = newest;
        this.states = states;
        this.pollMillis = pollMillis;
        this.channel = FileChannel.open(this.path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.thread = Thread.ofPlatform().daemon().name("litestream-vfs-hydrate-" + vfsName).unstarted(this::run);
    }

    /** Opens (or creates) {@code path} and starts copying the newest state into it. */
    static Hydrator start(String vfsName, Path path, Supplier<PageMap> newest, ReplicaStates states, long pollMillis) throws IOException {
        Hydrator h = new Hydrator(vfsName, path, newest, states, pollMillis);
        h.thread.start();
        return h;
    }

    Path path() {
        return path;
    }

    /** The TXID the local file holds whole (its TXID file names it), or 0 while it is being copied. */
    long hydratedTxid() {
        return hydratedTxid;
    }

    String lastError() {
        return lastError;
    }

    /** Pages written into the local file since this hydrator started. */
    long pagesCopied() {
        return pagesCopied.sum();
    }

    private static long location(ReplicaFile file, int entry) {
        return ((long) file.cacheId() << 32) | (entry & 0xffffffffL);
    }

    /** Page {@code pgno} of {@code map} from the local file, or null when the local copy is not that page's. */
    byte[] read(PageMap map, int pgno) {
        ReplicaFile file = map.fileOf(pgno);
        if (file == null) {
            return null;
        }
        long want = location(file, map.entryOf(pgno));
        lock.readLock().lock();
        try {
            if (pgno > copiedFrom.length || copiedFrom[pgno - 1] != want || map.pageSize() != pageSize) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate(pageSize);
            long at = (long) (pgno - 1) * pageSize;
            while (b.hasRemaining() && channel.read(b, at + b.position()) > 0) {
                // positional reads until the page is full
            }
            return b.hasRemaining() ? null : b.array();
        } catch (IOException e) {
            return null; // the replica serves it
        } finally {
            lock.readLock().unlock();
        }
    }

    private void run() {
        try {
            resume();
        } catch (IOException | RuntimeException e) {
            failed("resume from " + FollowTxidFile.of(path), e);
        }
        while (!stopping) {
            try {
                PageMap s = newest.get();
                if (s != null && s.txid() != hydratedTxid) {
                    copy(s);
                }
                lastError = null;
            } catch (IOException | RuntimeException e) {
                if (stopping) {
                    return;
                }
                failed("hydrate " + path, e);
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void failed(String what, Exception e) {
        String msg = "vfs %s: %s: %s".formatted(vfsName, what, e.getMessage() != null ? e.getMessage() : e.toString());
        if (!msg.equals(lastError)) {
            LOG.log(System.Logger.Level.WARNING, msg);
        }
        lastError = msg;
    }

    /**
     * Takes the local file as the state its TXID file names, when there is one and the replica can
     * still plan that TXID with the file's size; otherwise empties it (nothing of it is trusted).
     */
    private void resume() throws IOException {
        OptionalLong txid = FollowTxidFile.read(path);
        if (txid.isPresent()) {
            PageMap s;
            try {
                s = states.atTxid(txid.getAsLong());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, "vfs {0}: hydration file {1} holds TXID {2}, which the replica cannot plan any more ({3}); copying it again",
                        vfsName, path, Txid.format(txid.getAsLong()), e.getMessage());
                s = null;
            }
            if (s != null && s.txid() == txid.getAsLong() && channel.size() == s.sizeBytes()) {
                lock.writeLock().lock();
                try {
                    pageSize = s.pageSize();
                    copiedFrom = new long[s.commit()];
                    for (int p = 1; p <= s.commit(); p++) {
                        ReplicaFile f = s.fileOf(p);
                        copiedFrom[p - 1] = f == null ? ZEROS : location(f, s.entryOf(p));
                    }
                } finally {
                    lock.writeLock().unlock();
                }
                hydratedTxid = s.txid();
                LOG.log(System.Logger.Level.INFO, "vfs {0}: hydration file {1} resumed at TXID {2}", vfsName, path, Txid.format(s.txid()));
                return;
            }
        }
        untrust();
        channel.truncate(0);
        channel.force(true);
    }

    /** Deletes the TXID file durably: from here on the local file is not a whole state. */
    private void untrust() throws IOException {
        if (hydratedTxid != 0 || java.nio.file.Files.exists(FollowTxidFile.of(path))) {
            FollowTxidFile.delete(path);
            AtomicFiles.syncDirectory(path.getParent());
            hydratedTxid = 0;
        }
    }

    /** Brings the local file to state {@code s}: the pages whose copy is not from where {@code s} has them, then its size, then the TXID file. */
    private void copy(PageMap s) throws IOException {
        if (s.pageSize() != pageSize) {
            untrust();
            lock.writeLock().lock();
            try {
                channel.truncate(0);
                copiedFrom = new long[0];
                pageSize = s.pageSize();
            } finally {
                lock.writeLock().unlock();
            }
        }
        int lockPage = (int) (0x40000000L / pageSize) + 1;
        int runFrom = -1;
        int runTo = -1;
        ReplicaFile runFile = null;
        int copied = 0;
        for (int p = 1; p <= s.commit() && !stopping; p++) {
            ReplicaFile f = s.fileOf(p);
            long want = f == null ? ZEROS : location(f, s.entryOf(p));
            if (p <= copiedFrom.length && copiedFrom[p - 1] == want) {
                continue;
            }
            if (copied++ == 0) {
                untrust(); // the first change in place
            }
            if (f == null) {
                if (p == lockPage) {
                    put(p, new byte[pageSize], ZEROS);
                }
                continue;
            }
            int entry = s.entryOf(p);
            if (runFile == f && entry == runTo + 1 && runTo - runFrom + 1 < RUN_PAGES) {
                runTo = entry;
                continue;
            }
            copyRun(runFile, runFrom, runTo);
            runFile = f;
            runFrom = entry;
            runTo = entry;
        }
        copyRun(runFile, runFrom, runTo);
        if (stopping) {
            return;
        }
        if (copied > 0 || channel.size() != s.sizeBytes() || hydratedTxid == 0) {
            untrust();
            lock.writeLock().lock();
            try {
                if (channel.size() > s.sizeBytes()) {
                    channel.truncate(s.sizeBytes());
                }
                copiedFrom = Arrays.copyOf(copiedFrom, s.commit());
            } finally {
                lock.writeLock().unlock();
            }
            writeHeader(s);
            channel.force(true);
        }
        FollowTxidFile.write(path, s.txid());
        hydratedTxid = s.txid();
        LOG.log(System.Logger.Level.DEBUG, "vfs {0}: hydration file {1} at TXID {2} ({3} pages copied)", vfsName, path, Txid.format(s.txid()), copied);
    }

    /** Copies index entries {@code from..to} of {@code file} with one ranged read (pages come in entry order). */
    private void copyRun(ReplicaFile file, int from, int to) throws IOException {
        if (file == null) {
            return;
        }
        int[] entry = {from};
        try {
            file.readPages(from, to, (pgno, page) -> {
                try {
                    put(pgno, page, location(file, entry[0]++));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes page {@code pgno} and records where it came from, under the lock readers check it with. */
    private void put(int pgno, byte[] page, long from) throws IOException {
        lock.writeLock().lock();
        try {
            if (pgno > copiedFrom.length) {
                int old = copiedFrom.length;
                copiedFrom = Arrays.copyOf(copiedFrom, Math.max(pgno, old * 2));
                Arrays.fill(copiedFrom, old, copiedFrom.length, NONE);
            }
            copiedFrom[pgno - 1] = NONE;
            ByteBuffer b = ByteBuffer.wrap(page);
            long at = (long) (pgno - 1) * pageSize;
            while (b.hasRemaining()) {
                channel.write(b, at + b.position());
            }
            copiedFrom[pgno - 1] = from;
            pagesCopied.increment();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Page 1 as a database file on its own needs it: rollback-journal mode, the change counter and
     * version-valid-for from the TXID, the size in pages. Its recorded origin stays the replica's
     * page (readers get these header bytes set per state anyway, see {@link VfsFile}).
     */
    private void writeHeader(PageMap s) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(8);
        lock.writeLock().lock();
        try {
            channel.write(ByteBuffer.wrap(new byte[] {1, 1}), 18);
            h.putInt((int) s.txid()).putInt(s.commit()).flip();
            channel.write(h, 24);
            channel.write(ByteBuffer.allocate(4).putInt(0, (int) s.txid()), 92);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
    }
}
