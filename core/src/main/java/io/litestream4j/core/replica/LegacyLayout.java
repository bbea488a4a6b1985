package io.litestream4j.core.replica;

import java.io.IOException;

/**
 * A replica that can tell whether it holds a backup written by Litestream 0.3
 * ({@code generations/<id>/snapshots} and {@code wal}) rather than LTX files. A capability, not
 * part of {@link ReplicaClient}: backends that cannot look cheaply do not implement it.
 */
public interface LegacyLayout {
    /** True if the replica holds a {@code generations/} folder (Litestream 0.3's layout). */
    boolean holdsLitestream03() throws IOException;
}
