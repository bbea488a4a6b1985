package io.litestream4j.core.replica;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * A replica that can hold a backup written by Litestream 0.3 ({@code generations/<id>/snapshots}
 * and {@code wal}) beside or instead of LTX files, and read it. A capability, not part of
 * {@link ReplicaClient}: backends that do not implement it cannot restore 0.3 backups.
 */
public interface LegacyLayout {
    /** The folder of Litestream 0.3's backup, under the replica's path. */
    String FOLDER = "generations/";

    /**
     * {@code path} if it names a file under {@link #FOLDER} (relative, no {@code ..} segment), as
     * {@link #openLegacyFile} takes it; else an error naming {@code location}: a backend never
     * opens anything outside the backup for it.
     */
    static String checkedPath(String location, String path) throws IOException {
        boolean inside = path.startsWith(FOLDER) && !path.contains("\\") && java.util.Arrays.stream(path.split("/", -1))
                .skip(1).noneMatch(segment -> segment.isEmpty() || segment.equals(".") || segment.equals(".."));
        if (!inside) {
            throw new IOException("%s: %s is not a file under %s".formatted(location, path, FOLDER));
        }
        return path;
    }

    /** One file under {@code generations/}: its path from the replica's root, size and time written. */
    record LegacyFile(String path, long size, Instant modified) {}

    /** True if the replica holds a {@code generations/} folder (Litestream 0.3's layout). */
    boolean holdsLitestream03() throws IOException;

    /** Every file under {@code generations/}, in no particular order; none is not an error. */
    List<LegacyFile> listLegacyFiles() throws IOException;

    /** Opens a file {@link #listLegacyFiles} named; a missing one is a {@link java.nio.file.NoSuchFileException}. */
    InputStream openLegacyFile(String path) throws IOException;
}
