package io.litestream4j.cli;

import io.litestream4j.NoBackupException;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.Litestream03Plan;
import io.litestream4j.core.restore.Litestream03Restorer;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream restore [-o OUT] DB_PATH|REPLICA_URL}: rebuilds a database from a replica,
 * named by URL, or by the database's path in the config file.
 */
@Command(name = "restore", description = "recovers database backup from a replica",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream restore [-o PATH] [flags] DB_PATH|REPLICA_URL")
final class RestoreCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger(RestoreCommand.class.getName());

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH|REPLICA_URL",
            description = "a replica URL or folder, or a database path from the config file")
    String replica;

    @Option(names = {"-o", "--o"}, paramLabel = "PATH", description = "where to write the restored database (default: DB_PATH; required with a URL)")
    Path output;

    @Option(names = {"-replica", "--replica"}, paramLabel = "NAME",
            description = "with DB_PATH: the configured replica to restore from (default: the one with the newest data)")
    String replicaName;

    @Mixin
    ConfigOptions configOptions;

    @Option(names = {"-txid", "--txid"}, paramLabel = "TXID", description = "restore as of this TXID (16 hex digits)")
    String txid;

    @Option(names = {"-timestamp", "--timestamp"}, paramLabel = "TIME",
            description = "restore the state as of this time, RFC 3339 (for example 2026-11-24T10:00:00Z)")
    String timestamp;

    @Option(names = {"-parallelism", "--parallelism"}, paramLabel = "N", description = "files downloaded at once (default 8)")
    int parallelism = 8;

    @Option(names = {"-dry-run", "--dry-run"}, description = "print the files the restore would apply, and write nothing")
    boolean dryRun;

    @Option(names = {"-if-db-not-exists", "--if-db-not-exists"}, description = "do nothing if the output database already exists")
    boolean ifDbNotExists;

    @Option(names = {"-if-replica-exists", "--if-replica-exists"}, description = "do nothing if the replica has no backup")
    boolean ifReplicaExists;

    @Option(names = {"-integrity-check", "--integrity-check"}, paramLabel = "MODE", description = "none, quick or full (default none)")
    String integrityCheck = "none";

    @Option(names = {"-force", "--force"}, description = "replace an existing output database")
    boolean force;

    @Option(names = {"-v3", "--v3"}, description = "restore the Litestream 0.3 backup (generations/) even if the replica also holds LTX files "
            + "(without it, it is restored when the replica holds no LTX files)")
    boolean v3;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        common.configureLogging(spec.commandLine().getErr());
        RestoreOptions.IntegrityCheck check = RestoreOptions.IntegrityCheck.parse(integrityCheck);
        if (txid != null && timestamp != null) {
            throw new IllegalArgumentException("cannot use -txid and -timestamp together: choose one target");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("invalid -parallelism %d: want at least 1".formatted(parallelism));
        }
        OptionalLong target = txid == null ? OptionalLong.empty() : OptionalLong.of(Txid.parse(txid).value());
        if (target.isPresent() && target.getAsLong() == 0) {
            throw new IllegalArgumentException("invalid -txid %s: TXIDs start at %s".formatted(txid, Txid.format(1)));
        }
        Instant time = timestamp == null ? null : parseTimestamp(timestamp);
        DatabaseConfig db = null;
        if (ReplicaArgument.isReplica(replica)) {
            if (output == null) {
                throw new IllegalArgumentException("-o PATH is required when restoring from a replica URL or folder");
            }
            if (replicaName != null) {
                throw new IllegalArgumentException("-replica picks one of a configured database's replicas; with a replica URL there is nothing to pick");
            }
        } else {
            db = ReplicaArgument.database(configOptions, replica);
            output = output != null ? output : db.path();
        }
        if (ifDbNotExists && Files.exists(output)) {
            out.println("database already exists, skipping");
            return 0;
        }
        try (ReplicaClient client = db == null ? ReplicaArgument.open(replica) : ReplicaArgument.open(db, replicaName)) {
            if (v3) {
                return restore03(client, time, check, out);
            }
            RestorePlan plan;
            try {
                plan = time == null ? RestorePlanner.plan(client, target) : RestorePlanner.planAt(client, time);
            } catch (RestorePlanner.LegacyBackupException e) {
                return restore03(client, time, check, out);
            } catch (RestorePlanner.NoStateAtTimeException e) {
                // A replica migrated from Litestream 0.3: times before our first snapshot are in its 0.3 backup.
                var legacy = client.capability(LegacyLayout.class);
                if (legacy.isPresent() && legacy.get().holdsLitestream03()) {
                    LOG.log(System.Logger.Level.INFO, "{0}; restoring from the Litestream 0.3 backup beside the LTX files", e.getMessage());
                    return restore03(client, time, check, out);
                }
                throw e;
            } catch (NoBackupException e) {
                if (ifReplicaExists) {
                    out.println("no matching backups found, skipping");
                    return 0;
                }
                throw e;
            }
            if (dryRun) {
                out.printf("restore of %s to TXID %s would apply %d files (%d bytes):%n", client.location(), Txid.format(plan.txid()),
                        plan.files().size(), plan.totalBytes());
                LtxListing.table(plan.files(), out);
                return 0;
            }
            RestoreOptions options = new RestoreOptions(output, OptionalLong.of(plan.txid()), check, force);
            Restorer.Result r = Restorer.restore(client, plan, options, parallelism);
            // A restore whose integrity check finds a problem fails: reaching here means it passed.
            out.printf("restored %s to TXID %s from %d files (%d bytes)%s%s%n", output, Txid.format(r.txid()), r.files(), r.bytes(),
                    r.checksumVerified() ? ", database checksum verified" : "",
                    check == RestoreOptions.IntegrityCheck.NONE ? "" : ", integrity check (%s) ok".formatted(check.name().toLowerCase(java.util.Locale.ROOT)));
            return 0;
        }
    }

    /** Restores the Litestream 0.3 backup ({@code generations/}) the replica holds, latest or as of {@code time}. */
    private int restore03(ReplicaClient client, Instant time, RestoreOptions.IntegrityCheck check, PrintWriter out) throws IOException {
        if (txid != null) {
            throw new IllegalArgumentException("-txid does not apply to the Litestream 0.3 backup in %s (it has no TXIDs): use -timestamp"
                    .formatted(client.location()));
        }
        LegacyLayout legacy = client.capability(LegacyLayout.class).orElseThrow(() -> new IOException(
                "replica %s: the %s backend cannot read Litestream 0.3 backups".formatted(client.location(), client.type())));
        Litestream03Plan plan;
        try {
            plan = Litestream03Plan.plan(client.location(), legacy.listLegacyFiles(), time);
        } catch (NoBackupException e) {
            if (ifReplicaExists) {
                out.println("no matching backups found, skipping");
                return 0;
            }
            throw e;
        }
        if (dryRun) {
            out.printf("restore of the Litestream 0.3 backup in %s (generation %s) would apply %d files (%d bytes):%n", client.location(),
                    plan.generation(), plan.files().size(), plan.totalBytes());
            for (Litestream03Plan.Segment s : plan.files()) {
                out.printf("%s  %d  %s%n", s.file().path(), s.file().size(), s.file().modified());
            }
            return 0;
        }
        var r = Litestream03Restorer.restore(legacy, client.location(), plan, new RestoreOptions(output, OptionalLong.empty(), check, force));
        out.printf("restored %s from the Litestream 0.3 backup in %s: generation %s, snapshot at WAL index %08x, WAL up to index %08x, %d files (%d bytes)%s%n",
                output, client.location(), r.generation(), r.snapshotIndex(), r.lastWalIndex(), r.files(), r.bytes(),
                check == RestoreOptions.IntegrityCheck.NONE ? "" : ", integrity check (%s) ok".formatted(check.name().toLowerCase(java.util.Locale.ROOT)));
        return 0;
    }

    private static Instant parseTimestamp(String s) {
        try {
            return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("invalid -timestamp \"%s\": want RFC 3339, for example 2026-11-24T10:00:00Z".formatted(s), e);
        }
    }
}
