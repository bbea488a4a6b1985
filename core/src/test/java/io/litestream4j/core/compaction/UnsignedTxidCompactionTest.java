package io.litestream4j.core.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TXIDs are unsigned 64-bit: compaction past 2^63 continues after the newest file, not after the largest signed value. */
class UnsignedTxidCompactionTest {
    private static final int PAGE_SIZE = 512;
    private static final long HALF = Long.MIN_VALUE; // 0x8000000000000000

    @TempDir
    Path dir;

    /** An L0 file of TXIDs {@code min..max} rewriting page 1 (checksums off, as Litestream 0.5 writes them). */
    private static void l0(FileReplicaClient client, long min, long max) throws Exception {
        LtxHeader h = new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, PAGE_SIZE, 1, min, max, 1000, 0, 0, 0, 0, 0, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, h, "l0");
        byte[] page = new byte[PAGE_SIZE];
        Arrays.fill(page, (byte) max);
        enc.writePage(1, page);
        enc.finish(0);
        client.write(0, new TxidRange(min, max), new ByteArrayInputStream(out.toByteArray()), out.size(), Instant.ofEpochMilli(1000));
    }

    @Test
    void compactionAcrossTwoToThe63rdContinuesAfterTheNewestFile() throws Exception {
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        ReplicaCompactor compactor = new ReplicaCompactor(client, dir.resolve("tmp"));
        l0(client, 1, HALF - 2);
        l0(client, HALF - 1, HALF - 1);
        assertThat(compactor.compact(1)).map(LtxFileInfo::range).contains(new TxidRange(1, HALF - 1));
        l0(client, HALF, HALF);
        l0(client, HALF + 1, HALF + 1);
        assertThat(compactor.compact(1)).map(LtxFileInfo::range).contains(new TxidRange(HALF, HALF + 1));
        l0(client, HALF + 2, HALF + 2);
        // Signed, the newest level-1 file looked like 0x7fffffffffffffff and the merge redid HALF..HALF+2.
        assertThat(compactor.compact(1)).map(LtxFileInfo::range).contains(new TxidRange(HALF + 2, HALF + 2));
        assertThat(client.listFiles(1, 0)).map(LtxFileInfo::range)
                .containsExactly(new TxidRange(1, HALF - 1), new TxidRange(HALF, HALF + 1), new TxidRange(HALF + 2, HALF + 2));
        assertThat(compactor.snapshot()).map(LtxFileInfo::range).contains(new TxidRange(1, HALF + 2));
        assertThat(compactor.snapshot()).as("the snapshot is current").isEmpty();
    }
}
