package io.litestream4j.core;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An output stream to a file whose failures name the file: the JDK reports a full disk or an I/O
 * error on write as just "No space left on device", and a log line must say where. A failure is
 * rethrown as a {@link FileSystemException} of the file with the original reason (and as cause).
 */
public final class NamedOutputStream extends FilterOutputStream {
    private final Path file;

    public NamedOutputStream(OutputStream out, Path file) {
        super(out);
        this.file = file;
    }

    /** {@link Files#newOutputStream} on {@code file}, its failures naming it. */
    public static OutputStream open(Path file) throws IOException {
        return new NamedOutputStream(Files.newOutputStream(file), file);
    }

    /** {@code e} as a failure of {@code file}, unless it names a file already. */
    public static IOException naming(Path file, IOException e) {
        if (e instanceof FileSystemException) {
            return e;
        }
        FileSystemException named = new FileSystemException(file.toString(), null, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
        named.initCause(e);
        return named;
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            throw naming(file, e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw naming(file, e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw naming(file, e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } catch (IOException e) {
            throw naming(file, e);
        }
    }
}
