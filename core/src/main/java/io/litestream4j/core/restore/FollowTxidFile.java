package io.litestream4j.core.restore;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The TXID a followed database holds, kept beside it as {@code <db>-txid} so that {@code restore -f}
 * resumes after a restart, as Litestream 0.5 names and writes it: 16 lower-case hex digits and a
 * newline. Written atomically (temporary file, fsync, rename, fsync of the folder) and only after
 * the pages of that TXID are durable in the database, so after a crash it names the state the
 * database holds or an older one, never a newer one. Re-applying files from an older TXID is
 * harmless: every page they write ends as its newest version and the file ends at the newest size.
 */
public final class FollowTxidFile {
    private FollowTxidFile() {}

    /** {@code <db>-txid}, beside the database, like SQLite's {@code -wal} and {@code -journal}. */
    public static Path of(Path db) {
        Path abs = db.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + "-txid");
    }

    /** The TXID recorded for {@code db}, or empty if there is no TXID file. A malformed file is an error naming it. */
    public static OptionalLong read(Path db) throws IOException {
        Path file = of(db);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        try {
            long txid = Txid.parse(text).value();
            if (txid == 0) {
                throw new IllegalArgumentException("TXID 0 is not a state");
            }
            return OptionalLong.of(txid);
        } catch (IllegalArgumentException e) {
            throw new IOException("read %s: want a TXID of 16 hex digits, got \"%s\" (%s); delete %s and %s to restore again"
                    .formatted(file, text.length() > 40 ? text.substring(0, 40) + "..." : text, e.getMessage(), db, file), e);
        }
    }

    /** Records {@code txid} for {@code db}, durably; call it only once the database's pages for it are durable. */
    public static void write(Path db, long txid) throws IOException {
        AtomicFiles.write(of(db), out -> {
            out.write((Txid.format(txid) + "\n").getBytes(StandardCharsets.US_ASCII));
            return null;
        });
    }

    /** Removes the TXID file, if any (before a fresh restore replaces the database). */
    public static void delete(Path db) throws IOException {
        Files.deleteIfExists(of(db));
    }
}
