package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.PageEncoding;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/**
 * A replica as Litestream 0.5 writes it: every file without database checksums, in the older
 * LZ4-frame page encoding or the current block encoding. It restores, verified by file checksums.
 */
@Timeout(300) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class LitestreamReplicaRestoreTest {
    @TempDir
    Path dir;

    private static final int PAGE_SIZE = 1024;

    private static byte[] page(Random random) {
        byte[] b = new byte[PAGE_SIZE];
        random.nextBytes(b);
        Arrays.fill(b, PAGE_SIZE / 2, PAGE_SIZE, (byte) 1);
        return b;
    }

    private static void write(FileReplicaClient client, long min, long max, int commit, byte[][] pages, int[] pgnos,
            PageEncoding encoding) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxHeader h = new LtxHeader(LtxHeader.FLAG_NO_CHECKSUM, PAGE_SIZE, commit, min, max, 1000 * max, 0, 0, 0, 0, 0, 0);
        LtxEncoder enc = new LtxEncoder(out, h, "x", encoding);
        for (int i = 0; i < pgnos.length; i++) {
            enc.writePage(pgnos[i], pages[pgnos[i] - 1]);
        }
        enc.finish(0);
        client.write(0, new TxidRange(min, max), new ByteArrayInputStream(out.toByteArray()), out.size(), Instant.ofEpochMilli(1000 * max));
    }

    @Test
    void restoresFilesWithoutChecksumsInBothEncodings() throws Exception {
        Random random = new Random(5);
        byte[][] db = new byte[6][];
        for (int i = 0; i < 4; i++) {
            db[i] = page(random);
        }
        Path replica = dir.resolve("replica");
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            write(client, 1, 1, 4, db, new int[] {1, 2, 3, 4}, PageEncoding.FRAME);
            db[1] = page(random);
            db[4] = page(random);
            write(client, 2, 2, 5, db, new int[] {2, 5}, PageEncoding.FRAME);
            db[0] = page(random);
            db[5] = page(random);
            write(client, 3, 3, 6, db, new int[] {1, 6}, PageEncoding.BLOCK);

            Path out = dir.resolve("out.db");
            var result = Restorer.restore(client, RestorePlanner.plan(client, OptionalLong.empty()),
                    new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false));
            assertThat(result.checksumVerified()).isFalse();
            assertThat(result.txid()).isEqualTo(3);
            byte[] restored = Files.readAllBytes(out);
            assertThat(restored).hasSize(6 * PAGE_SIZE);
            for (int i = 0; i < 6; i++) {
                assertThat(Arrays.copyOfRange(restored, i * PAGE_SIZE, (i + 1) * PAGE_SIZE)).as("page %d", i + 1).isEqualTo(db[i]);
            }
        }
    }
}
