package io.litestream4j.core;

import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalScanner;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.PageChecksums;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Optional;

/**
 * The L0 files made from the whole database image (the database file overlaid with every
 * committed frame of the WAL, see {@link DatabaseImage}) rather than from new WAL frames: a full
 * snapshot, and the catch-up of exactly the pages that differ from our per-page checksums
 * ({@link ChangedPages}). Also the checksums of the image alone.
 *
 * <p>The caller holds the pin, so the image is one point in time. A pin with read mark 0 still
 * lets the WAL be restarted (once: frames appended after the restart cannot reach the database
 * file while it is held); a read that saw that happen is detected by the WAL header changing
 * ({@link #checkSameGeneration}) and made again, up to ATTEMPTS times.
 */
final class ImageFiles {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ImageFiles.class);
    private static final int ATTEMPTS = 3;

    private final Path db;
    private final Path walPath;
    private final FileChannel dbFile;
    private final int pageSize;
    private final LocalLtxStore store;
    private final Clock clock;

    ImageFiles(Path db, Path walPath, FileChannel dbFile, int pageSize, LocalLtxStore store, Clock clock) {
        this.db = db;
        this.walPath = walPath;
        this.dbFile = dbFile;
        this.pageSize = pageSize;
        this.store = store;
        this.clock = clock;
    }

    /** The WAL part of an image: its header, if there is one, and every committed frame from its start. */
    record WalImage(Optional<WalHeader> header, WalSegment all) {}

    /**
     * A file made from the image (none if a catch-up found nothing changed), the database
     * checksum and page table after it, and the WAL it read, where the next sync continues.
     */
    record Outcome(Optional<TxidRange> range, int pageCount, long postApply, PageChecksums pages, WalImage wal) {}

    /** Thrown when the WAL was restarted while its frames were read: what was read may be a newer generation's. */
    static final class WalRestartedException extends IOException {
        private static final long serialVersionUID = 1L;

        WalRestartedException(Path wal) {
            super("wal %s was restarted while its frames were read".formatted(wal));
        }
    }

    /**
     * After reading frames: fails if the WAL's header is no longer {@code read}. SQLite writes a
     * new generation's header before its first frame, so an unchanged header proves every frame
     * read before it was still the generation's own.
     */
    static void checkSameGeneration(Path walPath, FileChannel wal, WalHeader read) throws IOException {
        Optional<WalHeader> now = WalScanner.readHeader(wal);
        if (now.isEmpty() || !now.get().equals(read)) {
            throw new WalRestartedException(walPath);
        }
    }

    @FunctionalInterface
    private interface ImageRead<T> {
        T read(FileChannel wal, WalImage image, int commit) throws IOException;
    }

    /**
     * Reads the image with {@code read}, again while the WAL keeps being restarted under it;
     * {@code read} checks the generation once it has read what it trusts.
     */
    private <T> T withImage(ImageRead<T> read) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (FileChannel wal = Files.exists(walPath) ? FileChannel.open(walPath, StandardOpenOption.READ) : null) {
                Optional<WalHeader> header = wal == null ? Optional.empty() : WalScanner.readHeader(wal);
                WalSegment all = header.isPresent() ? WalScanner.scan(wal, header.get(), WalHeader.SIZE, header.get().checksum()) : emptySegment();
                int commit = all.isEmpty() ? (int) (dbFile.size() / pageSize) : all.commit();
                return read.read(wal, new WalImage(header, all), commit);
            } catch (WalRestartedException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Every page's checksum in the image. */
    PageChecksums checksums() throws IOException {
        return withImage((wal, image, commit) -> {
            PageChecksums fresh = new PageChecksums(pageSize);
            fresh.resize(commit);
            DatabaseImage.forEachPage(dbFile, wal, image.all(), pageSize, commit, (pgno, page) -> fresh.set(pgno, Checksums.page(pgno, page)));
            if (image.header().isPresent()) {
                checkSameGeneration(walPath, wal, image.header().get());
            }
            return fresh;
        });
    }

    /** The database checksum of the database file alone, WAL ignored. */
    long fileChecksum() throws IOException {
        PageChecksums fileOnly = new PageChecksums(pageSize);
        int commit = (int) (dbFile.size() / pageSize);
        fileOnly.resize(commit);
        DatabaseImage.forEachPage(dbFile, null, emptySegment(), pageSize, commit, (pgno, page) -> fileOnly.set(pgno, Checksums.page(pgno, page)));
        return fileOnly.value();
    }

    /**
     * Writes the whole image as TXID {@code txid + 1}: a snapshot file (min TXID 1) for the first
     * TXID, else a file holding every page. Writers are never blocked.
     *
     * @param postApply the database checksum after {@code txid}; 0 if unknown (then the file has none)
     */
    Outcome snapshot(long txid, long postApply) throws IOException {
        long next = txid + 1;
        boolean first = next == 1;
        boolean checksummed = first || postApply != 0;
        return withImage((wal, image, commit) -> {
            LtxHeader ltx = header(checksummed, commit, first ? 1 : next, next, first ? 0 : postApply, image);
            TxidRange range = new TxidRange(ltx.minTxid(), next);
            PageChecksums fresh = new PageChecksums(pageSize);
            fresh.resize(commit);
            AtomicFiles.write(store.path(range), out -> {
                LtxEncoder enc = new LtxEncoder(out, ltx, store.path(range).toString());
                DatabaseImage.forEachPage(dbFile, wal, image.all(), pageSize, commit, (pgno, page) -> {
                    fresh.set(pgno, Checksums.page(pgno, page));
                    enc.writePage(pgno, page);
                });
                if (image.header().isPresent()) {
                    checkSameGeneration(walPath, wal, image.header().get());
                }
                return enc.finish(checksummed ? fresh.value() : 0);
            });
            LOG.log(System.Logger.Level.INFO, "{0}: snapshot {1}: {2} pages", db, range, commit);
            return new Outcome(Optional.of(range), commit, fresh.value(), fresh, image);
        });
    }

    /**
     * The catch-up after the WAL was restarted or truncated over frames we never copied: writes
     * the pages of the image that differ from {@code pages} (the table as of {@code txid}) as TXID
     * {@code txid + 1}, in which every transaction since our last look is merged; nothing if none
     * differs. {@code pages} is brought to the image only once the file's pages were read intact;
     * after any other failure it may hold part of the changes.
     */
    Outcome catchUp(long txid, long postApply, PageChecksums pages) throws IOException {
        long next = txid + 1;
        boolean checksummed = postApply != 0;
        return withImage((wal, image, commit) -> {
            ChangedPages changed = ChangedPages.find(dbFile, wal, image.all(), pageSize, commit, pages);
            if (changed.none(pages)) {
                LOG.log(System.Logger.Level.DEBUG, "{0}: the WAL was restarted since our last look; the database file holds nothing new", db);
                return new Outcome(Optional.empty(), 0, postApply, pages, image);
            }
            LtxHeader ltx = header(checksummed, commit, next, next, postApply, image);
            TxidRange range = new TxidRange(next, next);
            AtomicFiles.write(store.path(range), out -> {
                LtxEncoder enc = new LtxEncoder(out, ltx, store.path(range).toString());
                changed.writeTo(enc, dbFile, wal, image.all(), pageSize);
                if (image.header().isPresent()) {
                    checkSameGeneration(walPath, wal, image.header().get());
                }
                changed.applyTo(pages);
                return enc.finish(checksummed ? pages.value() : 0);
            });
            LOG.log(System.Logger.Level.INFO, "{0}: the WAL was restarted over frames we had not copied; catch-up {1}: {2} changed pages",
                    db, range, changed.count());
            return new Outcome(Optional.of(range), changed.count(), pages.value(), pages, image);
        });
    }

    /** The header of a file made from the image; its WAL fields say where the next sync continues. */
    private LtxHeader header(boolean checksummed, int commit, long min, long max, long preApply, WalImage image) {
        Optional<WalHeader> h = image.header();
        return new LtxHeader(checksummed ? 0 : LtxHeader.FLAG_NO_CHECKSUM, pageSize, commit, min, max, clock.millis(), preApply,
                h.isPresent() ? WalHeader.SIZE : 0, h.isPresent() ? image.all().end() - WalHeader.SIZE : 0,
                h.map(WalHeader::salt1).orElse(0), h.map(WalHeader::salt2).orElse(0), 0);
    }

    static WalSegment emptySegment() {
        return new WalSegment(WalHeader.SIZE, WalHeader.SIZE, 0, 0, new int[0], new long[0]);
    }
}
