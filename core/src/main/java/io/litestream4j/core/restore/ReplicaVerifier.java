package io.litestream4j.core.restore;

import io.litestream4j.core.IoErrors;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * Checks a replica end to end, reading everything it holds: every file's checksums (the file
 * checksum, each page's, and a snapshot's database checksum) and that its header matches its
 * name; the TXID chain of each level 0-8 (no gap, no overlap between neighbours); and two
 * restore drills, of the newest state and of the oldest restorable point, each verified against
 * the database checksum its last file records and by SQLite's {@code integrity_check}.
 *
 * <p>It only reads the replica. Every problem is collected (one bad file does not hide the
 * next); the drills' databases are written under {@code workDir} and deleted.
 */
public final class ReplicaVerifier {
    private ReplicaVerifier() {}

    /** One thing wrong: {@code kind} is {@code checksum}, {@code gap}, {@code overlap}, {@code restore} or {@code list}. */
    public record Problem(String kind, String file, String message) {}

    /** A restore drill: the TXID asked for (0 for the newest), the TXID reached, or the error. */
    public record Drill(String name, long target, long txid, int files, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    public record Report(String replica, int files, long bytes, List<Problem> problems, List<Drill> drills) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Verifies {@code client}'s replica, using {@code workDir} (which must exist) for the drills. */
    public static Report verify(ReplicaClient client, Path workDir) throws IOException {
        WriteOnly.requireReadable(client, "verify");
        List<Problem> problems = new ArrayList<>();
        List<LtxFileInfo> all;
        try {
            all = RestorePlanner.listAll(client);
        } catch (IOException e) {
            problems.add(new Problem("list", null, "list %s: %s".formatted(client.location(), IoErrors.describe(e))));
            return new Report(client.location(), 0, 0, problems, List.of());
        }
        long bytes = 0;
        for (LtxFileInfo f : all) {
            bytes += f.size();
            checkFile(client, f, problems);
        }
        for (int level = 0; level < LtxFileInfo.SNAPSHOT_LEVEL; level++) {
            problems.addAll(chainProblems(level, all));
        }
        List<Drill> drills = new ArrayList<>();
        if (all.isEmpty()) {
            problems.add(new Problem("restore", null, "replica %s holds no files: nothing to restore".formatted(client.location())));
        } else {
            drills.add(drill(client, "newest", OptionalLong.empty(), workDir, problems));
            OptionalLong oldest = all.stream().filter(f -> f.minTxid() == 1).mapToLong(LtxFileInfo::maxTxid)
                    .reduce((a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b);
            if (oldest.isEmpty()) {
                problems.add(new Problem("restore", null, "no file starts at TXID 1 (no snapshot): no point is restorable"));
            } else {
                drills.add(drill(client, "oldest", oldest, workDir, problems));
            }
        }
        return new Report(client.location(), all.size(), bytes, List.copyOf(problems), List.copyOf(drills));
    }

    /** Reads the whole file, checking every checksum on the way, and its header against its name. */
    private static void checkFile(ReplicaClient client, LtxFileInfo f, List<Problem> problems) {
        String name = f.level() + "/" + f.fileName();
        try (InputStream in = client.open(f.level(), f.range()); LtxDecoder d = new LtxDecoder(in, name)) {
            LtxHeader h = d.header();
            if (h.minTxid() != f.minTxid() || h.maxTxid() != f.maxTxid()) {
                problems.add(new Problem("checksum", name, "ltx file %s: header holds TXIDs %s-%s, its name says %s-%s".formatted(name,
                        Txid.format(h.minTxid()), Txid.format(h.maxTxid()), Txid.format(f.minTxid()), Txid.format(f.maxTxid()))));
            }
            d.verify();
        } catch (IOException | RuntimeException e) {
            problems.add(new Problem("checksum", name, "ltx file %s: %s".formatted(name, e instanceof IOException io ? IoErrors.describe(io)
                    : io.litestream4j.core.replica.ReplicaHealth.describe(e))));
        }
    }

    /**
     * Gaps and overlaps between neighbouring files of one level, by min TXID: each file must
     * start right after the previous one ends ({@code min == prev.max + 1}), as Litestream's
     * validation checks.
     */
    public static List<Problem> chainProblems(int level, List<LtxFileInfo> all) {
        List<LtxFileInfo> files = all.stream().filter(f -> f.level() == level)
                .sorted(Comparator.comparing(LtxFileInfo::minTxid, Long::compareUnsigned)).toList();
        List<Problem> out = new ArrayList<>();
        for (int i = 1; i < files.size(); i++) {
            LtxFileInfo prev = files.get(i - 1);
            LtxFileInfo curr = files.get(i);
            long expected = prev.maxTxid() + 1;
            if (Long.compareUnsigned(curr.minTxid(), expected) > 0) {
                out.add(new Problem("gap", level + "/" + curr.fileName(), "level %d: TXIDs %s-%s missing between %s and %s".formatted(level,
                        Txid.format(expected), Txid.format(curr.minTxid() - 1), prev.fileName(), curr.fileName())));
            } else if (Long.compareUnsigned(curr.minTxid(), expected) < 0) {
                out.add(new Problem("overlap", level + "/" + curr.fileName(), "level %d: %s overlaps %s".formatted(level, curr.fileName(),
                        prev.fileName())));
            }
        }
        return out;
    }

    private static Drill drill(ReplicaClient client, String name, OptionalLong target, Path workDir, List<Problem> problems) {
        Path out = workDir.resolve("verify-" + name + ".db");
        try {
            RestorePlan plan = RestorePlanner.plan(client, target);
            Restorer.Result r = Restorer.restore(client, plan, new RestoreOptions(out, target, RestoreOptions.IntegrityCheck.FULL, true));
            if (target.isPresent() && r.txid() != target.getAsLong()) {
                String error = "restore of TXID %s reached %s".formatted(Txid.format(target.getAsLong()), Txid.format(r.txid()));
                problems.add(new Problem("restore", null, name + " restore drill: " + error));
                return new Drill(name, target.getAsLong(), r.txid(), r.files(), error);
            }
            return new Drill(name, target.orElse(0), r.txid(), r.files(), null);
        } catch (IOException | RuntimeException e) {
            String error = e instanceof IOException io ? IoErrors.describe(io) : io.litestream4j.core.replica.ReplicaHealth.describe(e);
            problems.add(new Problem("restore", null, name + " restore drill: " + error));
            return new Drill(name, target.orElse(0), 0, 0, error);
        } finally {
            for (String suffix : List.of("", "-wal", "-shm", ".tmp")) {
                try {
                    Files.deleteIfExists(out.resolveSibling(out.getFileName() + suffix));
                } catch (IOException ignored) {
                    // a temporary file: the work directory is the caller's to clean
                }
            }
        }
    }
}
