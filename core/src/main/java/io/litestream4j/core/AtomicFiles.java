package io.litestream4j.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader or a crash sees either the old state or the whole new file, never
 * a part: write to a temporary name beside the target, fsync it, rename it over the target, fsync
 * the directory so the rename itself survives a power cut.
 */
public final class AtomicFiles {
    /** Suffix of files being written; a crash can leave them behind, so stores delete them on open. */
    public static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {}

    /** Something that writes a file's contents to a stream. */
    @FunctionalInterface
    public interface Writer<T> {
        T writeTo(OutputStream out) throws IOException;
    }

    /** Writes {@code target} atomically and durably; returns what the writer returned. */
    public static <T> T write(Path target, Writer<T> writer) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        T result;
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            // Failures name the file: a full disk otherwise logs only "No space left on device".
            OutputStream out = new java.io.BufferedOutputStream(new NamedOutputStream(Channels.newOutputStream(ch), temp), 1 << 16);
            result = writer.writeTo(out);
            out.flush();
            try {
                ch.force(true);
            } catch (IOException e) {
                throw NamedOutputStream.naming(temp, e);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        moveDurably(temp, target);
        return result;
    }

    /** Renames {@code from} over {@code to} atomically, then fsyncs the directory. */
    public static void moveDurably(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("rename %s to %s: the file system cannot rename atomically".formatted(from, to), e);
        }
        syncDirectory(to.toAbsolutePath().getParent());
    }

    /** Fsyncs a directory, making renames and deletions in it durable. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories for fsync; nothing more can be done there.
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
    }
}
