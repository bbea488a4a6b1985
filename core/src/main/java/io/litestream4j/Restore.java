package io.litestream4j;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestoreSource;
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
        RestoreOptions.IntegrityCheck check = RestoreOptions.IntegrityCheck.valueOf(integrityCheck.name());
        return switch (RestoreSource.plan(c, txid, time, false)) {
            case RestoreSource.Ltx ltx -> {
                Restorer.Result r = Restorer.restore(c, ltx.plan(), RestoreOptions.of(out, ltx.plan(), txid.isPresent() || time != null, check, replaceExisting), parallelism);
                yield new Result(out, r.txid(), r.files(), r.bytes(), r.checksumVerified());
            }
            case RestoreSource.Litestream03 legacy -> {
                // It has no TXIDs (Result#txid is 0) and no database checksums.
                var r = legacy.restore(new RestoreOptions(out, OptionalLong.empty(), check, replaceExisting));
                yield new Result(out, 0, r.files(), r.bytes(), false);
            }
        };
    }
}
