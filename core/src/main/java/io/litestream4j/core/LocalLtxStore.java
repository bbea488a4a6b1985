package io.litestream4j.core;

import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.LtxTrailer;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The L0 files a database's replicator writes beside it, in {@code <dir>/.<name>-litestream/ltx/0/},
 * before they are uploaded. They are also the replicator's memory across restarts: the newest
 * file's header says which WAL generation and offset the next sync continues from.
 */
final class LocalLtxStore {
    private final Path levelDir;

    LocalLtxStore(Path metaDir) {
        this.levelDir = metaDir.resolve("ltx").resolve("0");
    }

    /** The meta directory Litestream uses for a database: {@code <dir>/.<file name>-litestream}. */
    static Path defaultMetaDir(Path db) {
        Path abs = db.toAbsolutePath();
        return abs.resolveSibling("." + abs.getFileName() + "-litestream");
    }

    /** Creates the directory and removes temporary files a crash left behind. */
    void open() throws IOException {
        Files.createDirectories(levelDir);
        try (Stream<Path> s = Files.list(levelDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(AtomicFiles.TEMP_SUFFIX)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    Path dir() {
        return levelDir;
    }

    Path path(TxidRange range) {
        return levelDir.resolve(range.fileName());
    }

    /** The L0 files present, in TXID order. */
    List<TxidRange> list() throws IOException {
        if (!Files.isDirectory(levelDir)) {
            return List.of();
        }
        List<TxidRange> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(levelDir)) {
            s.forEach(p -> TxidRange.fromFileName(p.getFileName().toString()).ifPresent(out::add));
        }
        out.sort(Comparator.comparing(TxidRange::max, Long::compareUnsigned));
        return out;
    }

    InputStream open(TxidRange range) throws IOException {
        return Files.newInputStream(path(range));
    }

    /** Deletes one file; one already gone is not an error. */
    void delete(TxidRange range) throws IOException {
        Files.deleteIfExists(path(range));
    }

    /** The newest file, fully verified, with its header and trailer; empty if there is none. */
    Optional<Last> last() throws IOException {
        List<TxidRange> files = list();
        if (files.isEmpty()) {
            return Optional.empty();
        }
        TxidRange range = files.getLast();
        try (LtxDecoder d = new LtxDecoder(open(range), path(range).toString())) {
            LtxTrailer trailer = d.verify();
            return Optional.of(new Last(range, d.header(), trailer));
        }
    }

    record Last(TxidRange range, LtxHeader header, LtxTrailer trailer) {
        /** The WAL offset just past the frames this file holds. */
        long walEnd() {
            return header.walOffset() + header.walSize();
        }
    }
}
