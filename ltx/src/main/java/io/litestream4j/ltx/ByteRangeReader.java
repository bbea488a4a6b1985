package io.litestream4j.ltx;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads byte ranges of one file: a local file, or an object in a replica. */
public interface ByteRangeReader {
    /** The file's length in bytes. */
    long length() throws IOException;

    /** Exactly {@code length} bytes from {@code offset}; an {@link EOFException} if the file is shorter. */
    byte[] read(long offset, int length) throws IOException;

    /** A reader over a local file; each call opens the file, so the reader holds no descriptor. */
    static ByteRangeReader of(Path path) {
        return new ByteRangeReader() {
            @Override
            public long length() throws IOException {
                return java.nio.file.Files.size(path);
            }

            @Override
            public byte[] read(long offset, int length) throws IOException {
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                    ByteBuffer bb = ByteBuffer.allocate(length);
                    while (bb.hasRemaining()) {
                        if (ch.read(bb, offset + bb.position()) < 0) {
                            throw new EOFException("%s: want %d bytes at offset %d, file ends at %d"
                                    .formatted(path, length, offset, offset + bb.position()));
                        }
                    }
                    return bb.array();
                }
            }
        };
    }
}
