package io.litestream4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The encoder refuses to write a file that breaks the format's rules, naming the file and the rule. */
@org.junit.jupiter.api.Timeout(60) // in-memory only; a hang must fail fast
class LtxEncoderRulesTest {
    private static final byte[] PAGE = new byte[512];

    private static LtxEncoder encoder(LtxHeader header) throws IOException {
        return new LtxEncoder(new ByteArrayOutputStream(), header, "out.ltx");
    }

    private static LtxHeader incremental(int commit) {
        return LtxHeader.of(512, commit, 2, 2, 0, Checksums.FLAG | 1);
    }

    @Test
    void rejectsAnInvalidHeader() {
        assertThatThrownBy(() -> encoder(LtxHeader.of(1000, 1, 1, 1, 0, 0)))
                .hasMessageContaining("encode ltx file out.ltx")
                .hasMessageContaining("page size: want a power of two from 512 to 65536, got 1000");
        assertThatThrownBy(() -> encoder(LtxHeader.of(512, 1, 3, 2, 0, Checksums.FLAG)))
                .hasMessageContaining("want min <= max");
        assertThatThrownBy(() -> encoder(LtxHeader.of(512, 1, 2, 2, 0, 0)))
                .hasMessageContaining("pre-apply checksum: want bit 63 set");
        assertThatThrownBy(() -> encoder(LtxHeader.of(512, 1, 1, 1, 0, Checksums.FLAG)))
                .hasMessageContaining("pre-apply checksum: want 0 on a snapshot");
        assertThatThrownBy(() -> encoder(LtxHeader.of(512, 1, 2, 2, 0, Checksums.FLAG).withFlags(0x4)))
                .hasMessageContaining("flags");
        assertThatThrownBy(() -> encoder(LtxHeader.of(512, 1, 2, 2, 0, Checksums.FLAG).withWal(0, 10, 0, 0)))
                .hasMessageContaining("wal offset: want non-zero");
    }

    @Test
    void rejectsPagesOutOfOrder() throws IOException {
        LtxEncoder e = encoder(incremental(10));
        e.writePage(5, PAGE);
        assertThatThrownBy(() -> e.writePage(5, PAGE)).hasMessageContaining("page 5: want pages in increasing order, previous was 5");
        assertThatThrownBy(() -> e.writePage(3, PAGE)).hasMessageContaining("page 3: want pages in increasing order");
    }

    @Test
    void rejectsPagesBeyondTheCommitAndPageZero() throws IOException {
        LtxEncoder e = encoder(incremental(3));
        assertThatThrownBy(() -> e.writePage(4, PAGE)).hasMessageContaining("page 4: beyond the commit of 3 pages");
        assertThatThrownBy(() -> e.writePage(0, PAGE)).hasMessageContaining("page 0: want a page number from 1");
    }

    @Test
    void rejectsTheLockPage() throws IOException {
        int lock = PageSizes.lockPgno(65536);
        LtxEncoder e = encoder(LtxHeader.of(65536, lock + 1, 2, 2, 0, Checksums.FLAG));
        assertThatThrownBy(() -> e.writePage(lock, new byte[65536])).hasMessageContaining("page 16385: the lock page is never stored");
        e.writePage(lock + 1, new byte[65536]);
    }

    @Test
    void rejectsShortPageData() throws IOException {
        LtxEncoder e = encoder(incremental(3));
        assertThatThrownBy(() -> e.writePage(1, new byte[100])).hasMessageContaining("page 1: want 512 bytes of data, got 100");
    }

    @Test
    void snapshotsMustHoldEveryPage() throws IOException {
        LtxEncoder gap = encoder(LtxHeader.of(512, 3, 1, 1, 0, 0));
        gap.writePage(1, PAGE);
        assertThatThrownBy(() -> gap.writePage(3, PAGE)).hasMessageContaining("page 3: a snapshot holds every page, want page 2");

        LtxEncoder shortOne = encoder(LtxHeader.of(512, 3, 1, 1, 0, 0));
        shortOne.writePage(1, PAGE);
        shortOne.writePage(2, PAGE);
        assertThatThrownBy(() -> shortOne.finish(shortOne.snapshotChecksum()))
                .hasMessageContaining("a snapshot holds every page up to the commit of 3, but page 3 is missing");
    }

    @Test
    void snapshotsSkipTheLockPage() throws IOException {
        int lock = PageSizes.lockPgno(65536);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(out, LtxHeader.of(65536, lock + 1, 1, 1, 0, 0), "big.ltx");
        byte[] page = new byte[65536];
        for (int pgno = 1; pgno <= lock + 1; pgno++) {
            if (pgno != lock) {
                page[0] = (byte) pgno;
                e.writePage(pgno, page);
            }
        }
        e.finish(e.snapshotChecksum());
        try (LtxDecoder d = new LtxDecoder(new java.io.ByteArrayInputStream(out.toByteArray()), "big.ltx")) {
            int count = 0;
            int pgno;
            while ((pgno = d.readPage(page)) != 0) {
                assertThat(pgno).isNotEqualTo(lock);
                assertThat(page[0]).isEqualTo((byte) pgno);
                count++;
            }
            assertThat(count).isEqualTo(lock);
        }
    }

    @Test
    void checksumRules() throws IOException {
        LtxEncoder missingFlag = encoder(incremental(3));
        assertThatThrownBy(() -> missingFlag.finish(1)).hasMessageContaining("post-apply checksum: want bit 63 set, got 0000000000000001");

        LtxEncoder noChecksum = encoder(LtxHeader.of(512, 3, 2, 2, 0, 0).withFlags(LtxHeader.FLAG_NO_CHECKSUM));
        assertThatThrownBy(() -> noChecksum.finish(Checksums.FLAG)).hasMessageContaining("want 0 in a file without checksums");

        LtxEncoder empty = encoder(LtxHeader.of(512, 0, 1, 1, 0, 0));
        assertThatThrownBy(() -> empty.finish(Checksums.FLAG | 5)).hasMessageContaining("want 8000000000000000 for an empty database");

        LtxEncoder wrongSnapshot = encoder(LtxHeader.of(512, 1, 1, 1, 0, 0));
        wrongSnapshot.writePage(1, PAGE);
        assertThatThrownBy(() -> wrongSnapshot.finish(Checksums.FLAG | 5))
                .hasMessageContaining("the checksum of the snapshot's pages");
    }

    @Test
    void writesNothingAfterFinish() throws IOException {
        LtxEncoder e = encoder(incremental(3));
        e.writePage(1, PAGE);
        LtxTrailer t = e.finish(Checksums.FLAG | 9);
        assertThat(t.fileChecksum() & Checksums.FLAG).isNotZero();
        assertThatThrownBy(() -> e.writePage(2, PAGE)).hasMessageContaining("already finished");
        assertThatThrownBy(() -> e.finish(Checksums.FLAG | 9)).hasMessageContaining("already finished");
    }
}
