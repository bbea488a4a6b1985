package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.DatabaseChecksum;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * A restore that writes each page once, from the newest file holding it, gives the same bytes as
 * applying the files oldest first (each file's pages, then truncating or zero-extending to its
 * commit): random runs of real LTX files on a file replica, files at several levels overlapping,
 * commits that shrink and grow again, read in place or downloaded, decoded whole or in parts on
 * several threads, checked byte for byte against that oldest-first model of
 * the same plan and against the database as written.
 */
class NewestFirstRestoreProperties {
    private static final int PAGE_SIZE = 512;

    /** One file of a run: its level, range, commit and pages. */
    private record File(int level, long min, long max, int commit, SortedMap<Integer, byte[]> pages) {}

    @Property(tries = 60)
    void newestFirstEqualsOldestFirst(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        Path dir = Files.createTempDirectory("newestfirst");
        try {
            List<File> run = randomRun(random);
            Map<TxidRange, File>[] written = writeReplica(dir, run, random);
            try (FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"))) {
                // Half the runs read the folder in place, half download it as from an object store.
                ReplicaClient client = random.nextBoolean() ? files : new ForwardingClient(files);
                RestorePlan plan = RestorePlanner.plan(client, OptionalLong.empty());
                List<File> planned = plan.files().stream().map(f -> written[f.level()].get(f.range())).toList();
                Path out = dir.resolve("out.db");
                // Half the runs decode every file in 2-4 parts on as many threads, as big files are.
                PlanApplier.Split split = random.nextBoolean() ? PlanApplier.Split.DEFAULT : new PlanApplier.Split(1, 1, 2 + random.nextInt(3));
                // Each way of writing the output: O_DIRECT for long runs, the page cache, the page cache flushed early.
                OutputWriting writing = switch (random.nextInt(3)) {
                    case 0 -> new OutputWriting(0, -1, 4096);
                    case 1 -> new OutputWriting(-1, -1, 4096);
                    default -> new OutputWriting(-1, 0, 4096 << random.nextInt(6));
                };
                Restorer.Result result = Restorer.restore(client, plan,
                        new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.NONE, false), 3, split, writing);
                assertThat(result.checksumVerified()).as("seed %d: database checksum verified", seed).isTrue();
                assertThat(Files.readAllBytes(out)).as("seed %d: newest-first restore against the oldest-first one, plan %s", seed, plan.files())
                        .isEqualTo(oldestFirst(planned));
                assertThat(Files.readAllBytes(out)).as("seed %d: the database as written", seed).isEqualTo(oldestFirst(run));
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Example
    void aPageCutOffByAShrinkAndNotWrittenAgainRestoresAsZeros() {
        List<PageOwners.FilePages> files = List.of(
                new PageOwners.FilePages(4, new int[] {1, 2, 3, 4}),
                new PageOwners.FilePages(2, new int[] {1}),
                new PageOwners.FilePages(4, new int[] {3}));
        PageOwners owners = PageOwners.of(files);
        assertThat(owners.pageCount()).isEqualTo(4);
        assertThat(owners.writes(2, 3)).as("page 3 from the newest file").isTrue();
        assertThat(owners.writes(0, 2)).as("page 2 from the snapshot: no later file cut it off").isTrue();
        assertThat(owners.isOwned(4)).as("page 4 was cut off by the shrink to 2 pages and never written again").isFalse();
        assertThat(owners.writes(1, 1)).isTrue();
        assertThat(owners.pagesWrittenBy(0)).isEqualTo(1);
    }

    /**
     * A snapshot, then L0 files with random pages and commits, and some compactions of runs of
     * them into levels 1 and 2 (the planner takes the widest file that extends the chain, so a
     * plan mixes levels whose pages overlap the L0 files after them).
     */
    private static List<File> randomRun(Random random) {
        List<File> files = new ArrayList<>();
        int commit = 1 + random.nextInt(40);
        SortedMap<Integer, byte[]> snapshot = new TreeMap<>();
        for (int pgno = 1; pgno <= commit; pgno++) {
            snapshot.put(pgno, page(random));
        }
        files.add(new File(0, 1, 1, commit, snapshot));
        int count = 1 + random.nextInt(12);
        for (long txid = 2; txid < 2 + count; txid++) {
            int before = commit;
            commit = Math.max(1, commit + random.nextInt(13) - 6);
            SortedMap<Integer, byte[]> pages = new TreeMap<>();
            for (int pgno = 1; pgno <= commit; pgno++) {
                if (pgno > before || random.nextInt(3) == 0) { // as SQLite: pages a database grows by are written
                    pages.put(pgno, page(random));
                }
            }
            files.add(new File(0, txid, txid, commit, pages));
        }
        return files;
    }

    private static byte[] page(Random random) {
        byte[] b = new byte[PAGE_SIZE];
        random.nextBytes(b);
        return b;
    }

    /** The old restore, as a model: each file's pages, then the database cut or zero-extended to its commit. */
    private static byte[] oldestFirst(List<File> run) {
        byte[] db = new byte[0];
        for (File f : run) {
            db = applyOne(db, f);
        }
        return db;
    }

    private static byte[] applyOne(byte[] db, File f) {
        byte[] next = Arrays.copyOf(db, Math.max(db.length, f.commit() * PAGE_SIZE));
        f.pages().forEach((pgno, data) -> System.arraycopy(data, 0, next, (pgno - 1) * PAGE_SIZE, PAGE_SIZE));
        return Arrays.copyOf(next, f.commit() * PAGE_SIZE);
    }

    private static long checksum(byte[] db) {
        DatabaseChecksum c = new DatabaseChecksum();
        for (int pgno = 1; pgno * PAGE_SIZE <= db.length; pgno++) {
            c.add(Checksums.page(pgno, Arrays.copyOfRange(db, (pgno - 1) * PAGE_SIZE, pgno * PAGE_SIZE)));
        }
        return c.value();
    }

    /**
     * Writes the run to a file replica, with at random merges of runs of L0 files into levels 1
     * and 2 as the compactor makes them; returns the files written, by level and range.
     */
    @SuppressWarnings("unchecked")
    private static Map<TxidRange, File>[] writeReplica(Path dir, List<File> run, Random random) throws Exception {
        Map<TxidRange, File>[] written = new Map[3];
        for (int level = 0; level < written.length; level++) {
            written[level] = new HashMap<>();
        }
        try (FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"))) {
            byte[] db = new byte[0];
            List<byte[]> states = new ArrayList<>();
            for (File f : run) {
                write(client, f, checksum(db), db);
                written[0].put(new TxidRange(f.min(), f.max()), f);
                db = applyOne(db, f);
                states.add(db);
            }
            for (int level = 1; level <= 2; level++) {
                int from = 1 + random.nextInt(run.size());
                int to = Math.min(run.size() - 1, from + random.nextInt(4));
                if (from > to) {
                    continue;
                }
                // The merge of files from..to: the latest version of each page within the last commit.
                SortedMap<Integer, byte[]> merged = new TreeMap<>();
                for (int i = from; i <= to; i++) {
                    merged.tailMap(run.get(i).commit() + 1).clear();
                    merged.putAll(run.get(i).pages());
                }
                byte[] before = states.get(from - 1);
                File compacted = new File(level, run.get(from).min(), run.get(to).max(), run.get(to).commit(), merged);
                write(client, compacted, checksum(before), before);
                written[level].put(new TxidRange(compacted.min(), compacted.max()), compacted);
            }
        }
        return written;
    }

    private static void write(FileReplicaClient client, File f, long preApply, byte[] before) throws IOException {
        byte[] after = applyOne(before, f);
        LtxHeader header = LtxHeader.of(PAGE_SIZE, f.commit(), f.min(), f.max(), 0, f.min() == 1 ? 0 : preApply);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(bytes, header, "test");
        for (var p : f.pages().entrySet()) {
            e.writePage(p.getKey(), p.getValue());
        }
        e.finish(checksum(after));
        byte[] b = bytes.toByteArray();
        client.write(f.level(), new TxidRange(f.min(), f.max()), new ByteArrayInputStream(b), b.length, Instant.EPOCH);
    }
}
