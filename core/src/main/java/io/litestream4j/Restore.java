package io.litestream4j;

import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.restore.Litestream03Plan;
import io.litestream4j.core.restore.Litestream03Restorer;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Rebuilds a database from a replica, in the same way as {@code litestream restore}:
 *
 * <pre>{@code
 * Restore.Result r = Restore.from("s3://bucket/app").into(Path.of("app.db"));            // the newest state
 * Restore.from("s3://bucket/app").toTime(Instant.parse("2026-11-24T10:00:00Z")).into(out); // as of a moment
 * Restore.from(client).toTxid(0x42).into(out);                                           // as of a transaction
 * }</pre>
 *
 * <p>A replica holding only a Litestream 0.3 backup ({@code generations/}, plain or age-encrypted, on
 * any backend that lists it: file, S3, Azure, GCS, SFTP, WebDAV, NATS) is restored from it, latest or
 * by time; so is a time before the first LTX file of a replica migrated from 0.3.
 *
 * <p>Guarantees: every file is verified against its checksum as it is applied and the result
 * against the database checksum the replica recorded; the database is written to a temporary
 * file, fsynced and renamed into place, so on any error the target is untouched (and never half
 * written). An existing target is refused unless {@link #replaceExisting} is called.
 */
public final class Restore {
    private final String url;
    private final ReplicaClient client;
    private OptionalLong txid = OptionalLong.empty();
    private Instant time;
    private IntegrityCheck integrityCheck = IntegrityCheck.NONE;
    private int parallelism = 8;
    private boolean replaceExisting;

    private Restore(String url, ReplicaClient client) {
        this.url = url;
        this.client = client;
    }

    /** Restores from a replica URL or plain folder path; the client is opened and closed by {@link #into}. */
    public static Restore from(String urlOrPath) {
        return new Restore(Objects.requireNonNull(urlOrPath, "urlOrPath"), null);
    }

    /** Restores through a client the caller made and closes. */
    public static Restore from(ReplicaClient client) {
        return new Restore(null, Objects.requireNonNull(client, "client"));
    }

    /**
     * What a restore did: the TXID reached (0 for a Litestream 0.3 backup, which has no TXIDs), the
     * files and bytes applied, and whether the database checksum was verified (0.3 kept none).
     */
    public record Result(Path database, long txid, int files, long bytes, boolean checksumVerified) {
        /** {@code txid} as Litestream prints it (16 hex digits). */
        public String txidHex() {
            return Txid.format(txid);
        }
    }

    /** Restores the state just after transaction {@code txid} (default: the newest). */
    public Restore toTxid(long txid) {
        if (txid == 0) {
            throw new IllegalArgumentException("restore to TXID 0: TXIDs start at 1");
        }
        if (time != null) {
            throw new IllegalStateException("restore to TXID %s: a time (%s) is already the target; choose one".formatted(Txid.format(txid), time));
        }
        this.txid = OptionalLong.of(txid);
        return this;
    }

    /** Restores the state as of {@code time}: the last transaction committed at or before it (default: the newest). */
    public Restore toTime(Instant time) {
        if (txid.isPresent()) {
            throw new IllegalStateException("restore to %s: TXID %s is already the target; choose one".formatted(time, Txid.format(txid.getAsLong())));
        }
        this.time = Objects.requireNonNull(time, "time");
        return this;
    }

    /** SQLite's check of a restored database before it is put in place. */
    public enum IntegrityCheck {
        /** No check: the database checksum of every LTX file is verified anyway. */
        NONE,
        /** {@code PRAGMA quick_check}. */
        QUICK,
        /** {@code PRAGMA integrity_check}. */
        FULL
    }

    /** SQLite's integrity check on the result before it is put in place (default none: the checksums are verified anyway). */
    public Restore integrityCheck(IntegrityCheck check) {
        this.integrityCheck = Objects.requireNonNull(check, "check");
        return this;
    }

    /** Files downloaded at once (default 8). */
    public Restore parallelism(int files) {
        if (files < 1) {
            throw new IllegalArgumentException("restore parallelism %d: want at least 1".formatted(files));
        }
        this.parallelism = files;
        return this;
    }

    /** Replaces an existing target database (and its -wal and -shm files) instead of refusing. */
    public Restore replaceExisting() {
        this.replaceExisting = true;
        return this;
    }

    /**
     * Restores into {@code database}.
     *
     * @throws FileAlreadyExistsException the target (or its -wal or -shm file) exists and {@link #replaceExisting} was not called
     * @throws NoBackupException the replica holds no backup (or none at or before the target)
     * @throws IOException the replica cannot be read, a file fails its checksum, the chain has a gap (the message names the file or range)
     */
    public Result into(Path database) throws IOException {
        Path out = database.toAbsolutePath();
        if (!replaceExisting) {
            for (String suffix : new String[] {"", "-wal", "-shm"}) {
                Path p = out.resolveSibling(out.getFileName() + suffix);
                if (Files.exists(p)) {
                    throw new FileAlreadyExistsException(p.toString(), null, "restore target exists: choose another path, or call replaceExisting()");
                }
            }
        }
        if (client != null) {
            return restore(client, out);
        }
        try (ReplicaClient c = ReplicaClients.open(url)) {
            return restore(c, out);
        }
    }

    private Result restore(ReplicaClient c, Path out) throws IOException {
        RestorePlan plan;
        try {
            plan = time == null ? RestorePlanner.plan(c, txid) : RestorePlanner.planAt(c, time);
        } catch (RestorePlanner.LegacyBackupException e) {
            return restore03(c, out); // only a Litestream 0.3 backup in the replica
        } catch (RestorePlanner.NoStateAtTimeException e) {
            // A replica migrated from Litestream 0.3: times before our first snapshot are in its 0.3 backup.
            var legacy = c.capability(LegacyLayout.class);
            if (legacy.isPresent() && legacy.get().holdsLitestream03()) {
                return restore03(c, out);
            }
            throw e;
        }
        Restorer.Result r = Restorer.restore(c, plan, new RestoreOptions(out, OptionalLong.of(plan.txid()), RestoreOptions.IntegrityCheck.valueOf(integrityCheck.name()), replaceExisting), parallelism);
        return new Result(out, r.txid(), r.files(), r.bytes(), r.checksumVerified());
    }

    /** Restores the Litestream 0.3 backup ({@code generations/}) the replica holds: it has no TXIDs, so {@link Result#txid} is 0. */
    private Result restore03(ReplicaClient c, Path out) throws IOException {
        if (txid.isPresent()) {
            throw new IllegalArgumentException("restore to TXID %s: replica %s holds a Litestream 0.3 backup, which has no TXIDs: restore to a time"
                    .formatted(Txid.format(txid.getAsLong()), c.location()));
        }
        LegacyLayout legacy = c.capability(LegacyLayout.class).orElseThrow(() -> new IOException(
                "replica %s: the %s backend cannot read Litestream 0.3 backups".formatted(c.location(), c.type())));
        Litestream03Plan plan = Litestream03Plan.plan(c.location(), legacy.listLegacyFiles(), time);
        var r = Litestream03Restorer.restore(legacy, c.location(), plan,
                new RestoreOptions(out, OptionalLong.empty(), RestoreOptions.IntegrityCheck.valueOf(integrityCheck.name()), replaceExisting));
        return new Result(out, 0, r.files(), r.bytes(), false);
    }
}
