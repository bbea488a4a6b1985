package io.litestream4j.ltx;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Builds LTX files in memory and reads them back, for tests. */
final class TestFiles {
    private TestFiles() {}

    /** A decoded file: its header, pages by number and trailer. */
    record Decoded(LtxHeader header, SortedMap<Integer, byte[]> pages, LtxTrailer trailer) {
        boolean samePages(Map<Integer, byte[]> other) {
            if (!pages.keySet().equals(other.keySet())) {
                return false;
            }
            return pages.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), other.get(e.getKey())));
        }
    }

    static byte[] encode(LtxHeader header, SortedMap<Integer, byte[]> pages, long postApply, PageEncoding encoding) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder encoder = new LtxEncoder(out, header, "test.ltx", encoding);
        for (var e : pages.entrySet()) {
            encoder.writePage(e.getKey(), e.getValue());
        }
        encoder.finish(postApply);
        return out.toByteArray();
    }

    /** A snapshot of the given pages (every page 1..commit but the lock page) with its real checksum. */
    static byte[] snapshot(int pageSize, SortedMap<Integer, byte[]> pages, long txid, PageEncoding encoding) throws IOException {
        int commit = pages.isEmpty() ? 0 : pages.lastKey();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(pageSize, commit, 1, txid, 1000, 0), "snapshot.ltx", encoding);
        for (var e : pages.entrySet()) {
            encoder.writePage(e.getKey(), e.getValue());
        }
        encoder.finish(encoder.snapshotChecksum());
        return out.toByteArray();
    }

    static Decoded decode(byte[] file) throws IOException {
        try (LtxDecoder decoder = new LtxDecoder(new ByteArrayInputStream(file), "test.ltx")) {
            SortedMap<Integer, byte[]> pages = new TreeMap<>();
            byte[] page = new byte[decoder.header().pageSize()];
            int pgno;
            while ((pgno = decoder.readPage(page)) != 0) {
                pages.put(pgno, page.clone());
            }
            return new Decoded(decoder.header(), pages, decoder.trailer());
        }
    }

    static byte[] page(int pageSize, int seed) {
        byte[] b = new byte[pageSize];
        new java.util.Random(seed).nextBytes(b);
        // Half random, half repetitive, so LZ4 finds matches and literals.
        Arrays.fill(b, pageSize / 2, pageSize, (byte) seed);
        return b;
    }

    /** The database checksum of a whole database given as pages by number. */
    static long checksumOf(Map<Integer, byte[]> db) {
        DatabaseChecksum sum = new DatabaseChecksum();
        db.forEach((pgno, data) -> sum.add(Checksums.page(pgno, data)));
        return sum.value();
    }
}
