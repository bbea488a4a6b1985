package io.litestream4j.core.replica;

import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;

/**
 * A capability: the store reads part of a file by itself (an HTTP {@code Range}, a seek), so a part
 * costs what it is and not the whole file. A store without it (NATS object store, an encrypted
 * replica) still serves parts: {@link ReplicaReads#open} reads such a file from its start and skips.
 */
public interface RangedReads {
    /**
     * Opens {@code length} bytes of a file from {@code offset}, or to its end when {@code length} is
     * negative. A range that starts past the end gives an empty stream; a missing file is a
     * {@link java.nio.file.NoSuchFileException} naming it.
     */
    InputStream open(int level, TxidRange range, long offset, long length) throws IOException;
}
