package io.litestream4j.core;

import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Turns a local file that holds every page of the database into a snapshot file. */
final class SnapshotFiles {
    private SnapshotFiles() {}

    /**
     * Writes {@code full} (a file of TXIDs {@code n-n} holding every page, as the sync loop writes
     * when the database needs a snapshot past TXID 1) as a snapshot of TXIDs {@code 1-n} into a
     * temporary file in {@code dir}, which the caller deletes. Every page is verified as it is
     * read and the snapshot gets the database checksum of its pages; a file missing a page fails.
     * Memory holds one page.
     */
    static Path fromFullFile(Path full, Path dir) throws IOException {
        Path out = Files.createTempFile(dir, "snapshot-", AtomicFiles.TEMP_SUFFIX);
        try (LtxDecoder in = new LtxDecoder(Files.newInputStream(full), full.toString());
                OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16)) {
            LtxHeader h = in.header();
            LtxHeader snapshot = new LtxHeader(0, h.pageSize(), h.commit(), 1, h.maxTxid(), h.timestamp(), 0, h.walOffset(), h.walSize(),
                    h.walSalt1(), h.walSalt2(), h.nodeId());
            LtxEncoder enc = new LtxEncoder(o, snapshot, out + " (snapshot from " + full.getFileName() + ")");
            byte[] page = new byte[h.pageSize()];
            int pgno;
            while ((pgno = in.readPage(page)) != 0) {
                enc.writePage(pgno, page);
            }
            enc.finish(enc.snapshotChecksum());
            return out;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw new IOException("%s: cannot be made a snapshot: %s".formatted(full, e.getMessage()), e);
        }
    }
}
