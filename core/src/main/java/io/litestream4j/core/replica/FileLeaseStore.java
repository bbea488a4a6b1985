package io.litestream4j.core.replica;

import io.litestream4j.core.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A lease object as a file, {@code <root>/lock.json}, with compare-and-swap between processes
 * (and hosts sharing the file system, where it honours POSIX locks):
 *
 * <ul>
 * <li>a version is a hash of the file's bytes;
 * <li>create: the content is written and fsynced under a unique temporary name, then hard-linked
 *     to {@code lock.json}, which fails if the file exists (atomic, and never a partial file);
 * <li>replace and delete: under an exclusive lock on the current file, its bytes are read again
 *     by name and must have the expected version; a replacement is renamed over it. Whoever
 *     waited for the lock on the old file then reads the new bytes by name and finds another
 *     version, so two replicators expecting the same version cannot both succeed.
 * </ul>
 *
 * Readers need no lock: {@code lock.json} is only ever created or replaced whole.
 */
final class FileLeaseStore implements LeaseStore {
    static final String FILE_NAME = "lock.json";
    /**
     * File locks are per process: threads of one process (two replicators in one JVM) take turns
     * here first, on the stripe of their lease file. Striped, not one lock for the process: a
     * write fsyncs twice, and with one lock the leases of thousands of databases (a renewal each
     * every 10 s) queued behind each other until they expired unrenewed (2,000 databases,
     * docs/benchmarks.md).
     */
    private static final Object[] IN_PROCESS = new Object[64];

    static {
        for (int i = 0; i < IN_PROCESS.length; i++) {
            IN_PROCESS[i] = new Object();
        }
    }

    /** This lease file's turn-taking lock within the process. */
    private final Object inProcess;

    private final Path root;
    private final Path file;
    private final String location;

    FileLeaseStore(Path root) {
        this.root = root;
        this.file = root.resolve(FILE_NAME);
        this.location = file.toUri().toString(); // once: toUri stats the path
        this.inProcess = IN_PROCESS[Math.floorMod(file.toAbsolutePath().normalize().hashCode(), IN_PROCESS.length)];
    }

    @Override
    public String leaseLocation() {
        return location;
    }

    @Override
    public Optional<Stored> readLease() throws IOException {
        try {
            byte[] content = Files.readAllBytes(file);
            return Optional.of(new Stored(content, version(content)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public String writeLease(byte[] content, String expectedVersion) throws IOException {
        synchronized (inProcess) {
            if (expectedVersion == null) {
                Files.createDirectories(root); // a replacement finds it there: the lease file is in it
            }
            Path temp = writeTemp(content);
            boolean renamed = false;
            try {
                if (expectedVersion == null) {
                    create(temp); // a hard link: the temporary name stays, deleted below
                } else {
                    try (FileChannel ch = openCurrent(); FileLock lock = ch.lock()) {
                        requireVersion(expectedVersion);
                        replace(temp);
                        renamed = true;
                    }
                }
            } finally {
                if (!renamed) {
                    Files.deleteIfExists(temp); // not after a rename: the JDK throws (and catches) an exception for the missing file
                }
            }
            return version(content);
        }
    }

    /**
     * Renames the new content over the lease file. The content was fsynced; the directory is not:
     * a replacement is a renewal (every 10 s per replica: thousands a minute in a process with
     * thousands of databases, where the directory fsync was a third of the idle CPU), and a
     * renewal lost to a power cut leaves the previous lease file, complete and ours, only with an
     * earlier expiry, which matters only if we were still running, and after a power cut we are
     * not. Releasing the lease (delete) still fsyncs the directory; taking it does not ({@link #create}).
     */
    private void replace(Path temp) throws IOException {
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("rename %s to %s: the file system cannot rename atomically".formatted(temp, file), e);
        }
    }

    /**
     * Links the new content, fsynced, as the lease file. The directory is not fsynced, for the
     * reason a renewal's is not ({@link #replace}): a power cut that loses the link also ended
     * us, and the restarted replicator finds either no lease or a whole one of ours, as after a
     * kill. The folder's fsync was one of the six a database's start made; at 10,000 databases
     * fsync is a start-up's largest single system call (docs/benchmarks.md, start8).
     */
    private void create(Path temp) throws IOException {
        try {
            Files.createLink(file, temp);
        } catch (FileAlreadyExistsException e) {
            throw new LeaseConflictException(leaseLocation() + ": exists (another replicator took the lease)", e);
        } catch (UnsupportedOperationException e) {
            throw new IOException("%s: the file system has no hard links, needed to take the lease atomically".formatted(leaseLocation()), e);
        }
    }

    @Override
    public void deleteLease(String expectedVersion) throws IOException {
        synchronized (inProcess) {
            try (FileChannel ch = openCurrent(); FileLock lock = ch.lock()) {
                requireVersion(expectedVersion);
                Files.deleteIfExists(file);
            } catch (LeaseConflictException e) {
                if (Files.exists(file)) {
                    throw e;
                }
                return; // gone already
            }
            AtomicFiles.syncDirectory(root);
        }
    }

    private FileChannel openCurrent() throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new LeaseConflictException(leaseLocation() + ": gone (someone deleted the lease)", e);
        }
    }

    private void requireVersion(String expected) throws IOException {
        Optional<Stored> now = readLease();
        if (now.isEmpty()) {
            throw new LeaseConflictException(leaseLocation() + ": gone (someone deleted the lease)");
        }
        if (!now.get().version().equals(expected)) {
            throw new LeaseConflictException("%s: changed (version %s, want %s)".formatted(leaseLocation(), now.get().version(), expected));
        }
    }

    private Path writeTemp(byte[] content) throws IOException {
        Path temp = root.resolve("%s.%d-%d%s".formatted(FILE_NAME, ProcessHandle.current().pid(), System.nanoTime(), AtomicFiles.TEMP_SUFFIX));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw new IOException("write %s: %s".formatted(temp, io.litestream4j.core.IoErrors.describe(e)), e);
        }
        return temp;
    }

    static String version(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
