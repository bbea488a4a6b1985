package io.litestream4j.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The process's read-only descriptors on database files, one per file (device and inode), shared
 * by every {@link Database} of that file and never closed while the application may hold SQLite
 * locks on it.
 *
 * <p>Why: POSIX advisory locks belong to the process and the inode, and closing ANY descriptor of
 * the file drops every one of them, SQLite's included. SQLite (same process, same native library
 * as the application's sqlite-jdbc) protects itself by parking its own descriptors while any of
 * its connections holds a lock on the inode; ours are outside that bookkeeping. Had we closed ours
 * while the application had the database open (in WAL mode every connection that has read holds
 * SHARED on the file until it closes), another process's connection would take EXCLUSIVE when it
 * closes, take itself for the last one, checkpoint and delete the WAL and the -shm under the
 * application.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>In a library (the default) a descriptor is never closed while its file is still at the
 *       path it was opened by: when its last user lets go it is parked, and the next open of the
 *       same file takes it again, so an application that starts and stops replication repeatedly
 *       keeps one descriptor per database, not one per start. Parked descriptors whose file was
 *       deleted or replaced at its path are closed (SQLite itself does not support a database
 *       unlinked or renamed under open connections); that sweep runs when the parked count has
 *       doubled since the last one, so opens stay O(1) amortized.
 *   <li>In a process that holds no SQLite connection of its own to replicated databases besides
 *       ours (the command line's {@code replicate}: {@link #closeWhenUnused}), a descriptor is
 *       closed by its last user: our connections are closed before it, so no lock is dropped, and
 *       the process keeps at most one descriptor per running database.
 * </ul>
 *
 * <p>Not guaranteed: a descriptor opened in the instant the file at the path was replaced cannot
 * be told apart from the old file's; it is kept open for the life of the process rather than
 * closed on a guess (one descriptor per such race). Only the database file needs this: SQLite
 * takes no lock on the -wal file (wal.c locks through the -shm's descriptor and the database's),
 * so descriptors on the WAL are opened and closed freely; the -shm is never opened from Java.
 */
public final class DatabaseFiles {
    /** Parked descriptors kept before the first sweep; small, so tests creating many files stay bounded. */
    private static final int FIRST_SWEEP_AT = 64;

    private static final Map<Object, Entry> FILES = new HashMap<>();
    private static boolean closeWhenUnused;
    private static int parked;
    private static int sweepAt = FIRST_SWEEP_AT;

    private DatabaseFiles() {}

    /** One file's descriptor, the path it was opened by, and its users now. */
    private static final class Entry {
        final Object key;
        final Path path;
        final FileChannel channel;
        int users;

        Entry(Object key, Path path, FileChannel channel) {
            this.key = key;
            this.path = path;
            this.channel = channel;
        }
    }

    /** One user's hold on a database file's descriptor; {@link #close} lets go of it (once). */
    static final class Handle implements AutoCloseable {
        private Entry entry;
        private final FileChannel channel;

        private Handle(Entry entry) {
            this.entry = entry;
            this.channel = entry.channel;
        }

        /** The shared read-only channel: positional reads only (other users share its position). */
        FileChannel channel() {
            return channel;
        }

        @Override
        public void close() {
            synchronized (DatabaseFiles.class) {
                if (entry != null) {
                    release(entry);
                    entry = null;
                }
            }
        }
    }

    /**
     * Declares that this process holds no SQLite connection to the databases it replicates except
     * the replicator's own, so a descriptor can be closed as soon as no database uses it (the
     * command line's {@code replicate}). A library must never call it: its application's locks
     * would go with the descriptor.
     */
    public static synchronized void closeWhenUnused() {
        closeWhenUnused = true;
        for (Iterator<Entry> it = FILES.values().iterator(); it.hasNext();) {
            Entry e = it.next();
            if (e.users == 0) {
                it.remove();
                parked--;
                closeQuietly(e.channel);
            }
        }
    }

    /** Opens (or takes again) the read-only descriptor of the database file at {@code path}. */
    static synchronized Handle open(Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        if (key == null) {
            // A file system without inodes (not POSIX locks either): nothing to share or keep.
            Entry own = new Entry(null, path, FileChannel.open(path, StandardOpenOption.READ));
            own.users = 1;
            return new Handle(own);
        }
        Entry e = FILES.get(key);
        if (e == null) {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            if (!key.equals(fileKey(path))) {
                // Replaced between the two looks: which file the channel is on is unknown, so it
                // is left open (closing it could drop the application's locks) and we try again.
                return open(path);
            }
            e = new Entry(key, path.toAbsolutePath(), channel);
            FILES.put(key, e);
        } else if (e.users == 0) {
            parked--;
        }
        e.users++;
        return new Handle(e);
    }

    /** Descriptors open now, in use or parked (for tests and status). */
    static synchronized int openCount() {
        return FILES.size();
    }

    private static void release(Entry e) {
        if (--e.users > 0) {
            return;
        }
        if (e.key == null) {
            closeQuietly(e.channel);
            return;
        }
        if (closeWhenUnused) {
            FILES.remove(e.key);
            closeQuietly(e.channel);
            return;
        }
        parked++;
        if (parked >= sweepAt) {
            sweep();
            sweepAt = Math.max(FIRST_SWEEP_AT, 2 * parked);
        }
    }

    /** Closes the parked descriptors whose file is no longer at the path it was opened by. */
    static synchronized void sweep() {
        for (Iterator<Entry> it = FILES.values().iterator(); it.hasNext();) {
            Entry e = it.next();
            if (e.users == 0 && !namesFile(e.path, e.key)) {
                it.remove();
                parked--;
                closeQuietly(e.channel);
            }
        }
    }

    private static boolean namesFile(Path path, Object key) {
        try {
            return key.equals(fileKey(path));
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException unknown) {
            return true; // cannot tell: keep it
        }
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only descriptor: nothing to flush
        }
    }
}
