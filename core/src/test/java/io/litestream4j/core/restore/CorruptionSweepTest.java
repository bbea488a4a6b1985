package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.DatabaseOptions;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.Soak;
import io.litestream4j.core.TestDb;
import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every single-byte change of a replica file is caught at restore with an error naming the file,
 * or changes nothing (LZ4 can absorb a change that decodes to the same page); a restore never
 * yields a different database, whether files are decoded whole or in parts. Swept over a real replica's snapshot (level 9), a compaction
 * (level 1) and an L0 file in the middle of a chain: header, page frames, page index, trailer.
 *
 * <p>Short form (CI, about a minute): one changed value (XOR 0xff) at every byte of the header,
 * of each frame header, of the end-of-pages mark, index and trailer, and at every 11th byte of
 * the compressed page data. Soak ({@code -Dsoak=true}): a bigger database, nine changed values
 * (each single-bit flip and 0xff) at every byte of files up to 256 KiB, and larger ones sampled
 * as in the short form with every 3rd byte of page data.
 */
@Timeout(7200)
class CorruptionSweepTest {
    private static final int[] CI_MASKS = {0xff};
    private static final int[] SOAK_MASKS = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};

    @TempDir
    Path dir;

    private int fullSweepBytes() {
        return Soak.pick(0, 256 << 10);
    }

    /** In a sampled file, every this many bytes of compressed page data are changed. */
    private static int dataStride() {
        return Soak.pick(11, 3);
    }

    /** One replication session: start, a few commits (one sync each), stop with everything uploaded. */
    private static void session(Path db, Path replica, int commits, int rowBytes) throws Exception {
        DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                List.of(new DatabaseReplicator.Destination(new FileReplicaClient(replica), Duration.ZERO)), Clock.systemUTC());
        try (Connection c = TestDb.open(db)) {
            for (int i = 0; i < commits; i++) {
                TestDb.insert(c, 2, rowBytes);
                TestDb.exec(c, "UPDATE t SET v = randomblob(" + rowBytes + ") WHERE id = " + (1 + i));
                r.syncOnce();
            }
            assertThat(r.stop(Duration.ofSeconds(60))).as("uploaded").isTrue();
        } finally {
            r.close();
        }
    }

    @Test
    void everySingleByteChangeIsCaughtNamingTheFileOrChangesNothing() throws Exception {
        int rows = Soak.pick(40, 400);
        int rowBytes = Soak.pick(150, 600);
        Path db = TestDb.create(dir, "app.db", 512, rows);
        Path replica = dir.resolve("replica");
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            ReplicaCompactor compactor = new ReplicaCompactor(files, dir.resolve("tmp"));
            session(db, replica, 4, rowBytes);
            LtxFileInfo snapshot = compactor.snapshot().orElseThrow();
            compactor.compact(1).orElseThrow();
            session(db, replica, 4, rowBytes);
            LtxFileInfo l1 = compactor.compact(1).orElseThrow();
            for (int i = 0; i < 3; i++) {
                session(db, replica, 1, rowBytes); // one L0 file each
            }
            List<LtxFileInfo> l0 = files.listFiles(0, l1.maxTxid() + 1);
            assertThat(l0).as("L0 files after the level-1 file").hasSizeGreaterThanOrEqualTo(3);
            assertThat(l0.getFirst().minTxid()).isEqualTo(l1.maxTxid() + 1);

            List<LtxFileInfo> chain = new ArrayList<>(List.of(snapshot));
            chain.add(l1);
            assertThat(l1.minTxid()).as("level-1 file continues the snapshot").isEqualTo(snapshot.maxTxid() + 1);
            List<LtxFileInfo> withL0 = new ArrayList<>(chain);
            withL0.addAll(l0.subList(0, 3));

            int[] masks = Soak.enabled() ? SOAK_MASKS : CI_MASKS;
            long tried = 0;
            tried += sweep(files, new RestorePlan(List.of(snapshot), snapshot.maxTxid()), snapshot, masks);
            tried += sweep(files, new RestorePlan(chain, l1.maxTxid()), l1, masks);
            tried += sweep(files, new RestorePlan(withL0, withL0.getLast().maxTxid()), l0.get(1), masks);
            System.out.printf("CorruptionSweepTest: %d single-byte changes tried over 3 files, 0 restored a different database%n", tried);
        }
    }

    /** Restores {@code plan} with each change of {@code target}; returns the changes tried. */
    private long sweep(FileReplicaClient files, RestorePlan plan, LtxFileInfo target, int[] masks) throws Exception {
        byte[] original;
        try (InputStream in = files.open(target.level(), target.range())) {
            original = in.readAllBytes();
        }
        Path reference = dir.resolve("reference.db");
        Restorer.restore(files, plan, new RestoreOptions(reference, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, true));
        byte[] want = Files.readAllBytes(reference);

        byte[][] served = {original};
        ForwardingClient corrupting = new ForwardingClient(files) {
            @Override
            public InputStream open(int level, TxidRange range) throws IOException {
                if (level != target.level() || !range.equals(target.range())) {
                    return super.open(level, range);
                }
                return new ByteArrayInputStream(served[0]);
            }
        };
        String name = "level %d file %s".formatted(target.level(), target.fileName());
        Path out = dir.resolve("restored.db");
        RestoreOptions options = new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, true);
        long tried = 0;
        long detected = 0;
        long harmless = 0;
        TreeSet<Integer> positions = positions(original);
        for (int pos : positions) {
            for (int mask : masks) {
                byte[] corrupt = original.clone();
                corrupt[pos] ^= (byte) mask;
                served[0] = corrupt;
                tried++;
                String what = "%s byte %d of %d ^ 0x%02x".formatted(name, pos, original.length, mask);
                try {
                    // Every other change is restored with each file decoded in three parts on three threads,
                    // every third one writing long runs with O_DIRECT, every third through the page cache flushed early.
                    Restorer.restore(corrupting, plan, options, 2, tried % 2 == 0 ? PlanApplier.Split.DEFAULT : new PlanApplier.Split(1, 1, 3),
                            new OutputWriting(tried % 3 == 0 ? 0 : -1, tried % 3 == 1 ? 0 : -1, 64 * 1024));
                } catch (IOException e) {
                    assertThat(e.getMessage()).as("%s: the error names the file", what).contains(name);
                    detected++;
                    continue;
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": want an IOException naming the file, got " + e, e);
                }
                assertThat(Files.mismatch(out, reference)).as("%s: restored without an error, so it must equal the original's restore", what)
                        .isEqualTo(-1L);
                harmless++;
            }
        }
        assertThat(Files.readAllBytes(reference)).isEqualTo(want);
        System.out.printf("CorruptionSweepTest: %s (%d bytes, %d positions): %d changes, %d detected naming the file, %d harmless (same database)%n",
                name, original.length, positions.size(), tried, detected, harmless);
        assertThat(harmless).as("harmless changes (only LZ4 data can absorb one)").isLessThan(tried / 4);
        return tried;
    }

    /**
     * Byte positions to change: all of them for a small file; for a larger one every byte of the
     * header, of each frame header, of the end-of-pages mark, index and trailer, and every
     * {@link #dataStride}th byte of the compressed data.
     */
    private TreeSet<Integer> positions(byte[] file) {
        TreeSet<Integer> out = new TreeSet<>();
        if (file.length <= fullSweepBytes()) {
            for (int i = 0; i < file.length; i++) {
                out.add(i);
            }
            return out;
        }
        int trailer = 16;
        long indexLength = ByteBuffer.wrap(file, file.length - trailer - 8, 8).getLong();
        int indexStart = (int) (file.length - trailer - 8 - indexLength);
        for (int i = 0; i < 100; i++) {
            out.add(i);
        }
        for (int i = indexStart - 6; i < file.length; i++) {
            out.add(i); // end-of-pages mark, index, its length, trailer
        }
        ByteBuffer index = ByteBuffer.wrap(file, indexStart, (int) indexLength);
        while (true) {
            long pgno = varint(index);
            if (pgno == 0) {
                break;
            }
            long offset = varint(index);
            varint(index); // frame size
            for (int i = 0; i < 10; i++) {
                out.add((int) offset + i); // pgno u32, flags u16, compressed size u32
            }
        }
        for (int i = 100; i < indexStart; i += dataStride()) {
            out.add(i);
        }
        return out;
    }

    private static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0;; shift += 7) {
            int x = b.get() & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
    }
}
