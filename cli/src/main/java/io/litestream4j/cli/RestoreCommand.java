package io.litestream4j.cli;

import io.litestream4j.NoBackupException;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.GoDuration;
import io.litestream4j.core.restore.FollowRestore;
import io.litestream4j.core.restore.FollowTxidFile;
import io.litestream4j.core.restore.Litestream03Plan;
import io.litestream4j.core.restore.RestoreOptions;
import io.litestream4j.core.restore.RestorePlan;
import io.litestream4j.core.restore.RestoreSource;
import io.litestream4j.core.restore.Restorer;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code litestream restore [-o OUT] DB_PATH|REPLICA_URL}: rebuilds a database from a replica,
 * named by URL, or by the database's path in the config file.
 *
 * <p>Its model is written in {@link #spec()} rather than read from annotations, as for
 * {@link VersionCommand}: reading them made the JDK generate a proxy class per annotation type at
 * every start, 12% of a small restore (docs/benchmarks.md, start-up of the release). The help
 * text, defaults and errors are those the annotations gave.
 */
final class RestoreCommand implements Callable<Integer> {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(RestoreCommand.class);

    private CommandSpec spec;
    private String replica;
    private Path output;
    private String replicaName;
    private ConfigOptions configOptions;
    private String txid;
    private String timestamp;
    private int parallelism;
    private boolean dryRun;
    private boolean ifDbNotExists;
    private boolean ifReplicaExists;
    private String integrityCheck;
    private boolean force;
    private boolean v3;
    private boolean follow;
    private String followInterval;
    private CommonOptions common;

    private RestoreCommand() {}

    /** The command's model, with a new command as its user object; {@link #call} reads the parsed values from it. */
    static CommandSpec spec() {
        RestoreCommand command = new RestoreCommand();
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name("restore");
        command.spec = spec;
        spec.usageMessage().description("recovers database backup from a replica").synopsisHeading("%nUsage: ")
                .customSynopsis("litestream restore [-o PATH] [flags] DB_PATH|REPLICA_URL");
        spec.addPositional(PositionalParamSpec.builder().index("0").arity("1").required(true).paramLabel("DB_PATH|REPLICA_URL").type(String.class)
                .description("a replica URL or folder, or a database path from the config file").build());
        option(spec, Path.class, null, "-o", "PATH", "where to write the restored database (default: DB_PATH; required with a URL)");
        option(spec, String.class, null, "-replica", "NAME", "with DB_PATH: the configured replica to restore from (default: the one with the newest data)");
        ConfigOptions.addTo(spec);
        option(spec, String.class, null, "-txid", "TXID", "restore as of this TXID (16 hex digits)");
        option(spec, String.class, null, "-timestamp", "TIME", "restore the state as of this time, RFC 3339 (for example 2026-11-24T10:00:00Z)");
        option(spec, int.class, 8, "-parallelism", "N", "files downloaded at once (default 8)");
        flag(spec, "-dry-run", "print the files the restore would apply, and write nothing");
        flag(spec, "-if-db-not-exists", "do nothing if the output database already exists");
        flag(spec, "-if-replica-exists", "do nothing if the replica has no backup");
        option(spec, String.class, "none", "-integrity-check", "MODE", "none, quick or full (default none)");
        flag(spec, "-force", "replace an existing output database");
        flag(spec, "-v3", "restore the Litestream 0.3 backup (generations/) even if the replica also holds LTX files "
                + "(without it, it is restored when the replica holds no LTX files)");
        flag(spec, "-f", "follow mode: after the restore, keep applying new files to the database in place "
                + "every -follow-interval (readers see only whole transactions; the TXID is kept in PATH-txid to resume after a restart)");
        option(spec, String.class, "1s", "-follow-interval", "DURATION", "how often follow mode polls the replica (default 1s)");
        CommonOptions.addTo(spec);
        return spec;
    }

    /** An option taking a value, named {@code -name} and {@code --name} as every flag of ours. */
    private static void option(CommandSpec spec, Class<?> type, Object initial, String name, String label, String description) {
        spec.addOption(OptionSpec.builder(name, "-" + name).paramLabel(label).type(type).initialValue(initial).description(description).build());
    }

    /** A flag without a value (false unless given). */
    private static void flag(CommandSpec spec, String name, String description) {
        spec.addOption(OptionSpec.builder(name, "-" + name).type(boolean.class).initialValue(false).description(description).build());
    }

    /** Takes the values picocli parsed into the model. */
    private void readParsedValues() {
        replica = spec.positionalParameters().getFirst().getValue();
        output = spec.findOption("-o").getValue();
        replicaName = spec.findOption("-replica").getValue();
        configOptions = ConfigOptions.of(spec);
        txid = spec.findOption("-txid").getValue();
        timestamp = spec.findOption("-timestamp").getValue();
        parallelism = spec.findOption("-parallelism").<Integer>getValue();
        dryRun = spec.findOption("-dry-run").<Boolean>getValue();
        ifDbNotExists = spec.findOption("-if-db-not-exists").<Boolean>getValue();
        ifReplicaExists = spec.findOption("-if-replica-exists").<Boolean>getValue();
        integrityCheck = spec.findOption("-integrity-check").getValue();
        force = spec.findOption("-force").<Boolean>getValue();
        v3 = spec.findOption("-v3").<Boolean>getValue();
        follow = spec.findOption("-f").<Boolean>getValue();
        followInterval = spec.findOption("-follow-interval").getValue();
        common = CommonOptions.of(spec);
    }

    @Override
    public Integer call() throws Exception {
        readParsedValues();
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
        Duration interval = parseFollowInterval();
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
            if (follow) {
                return follow(client, interval, check, out);
            }
            // Tests of type, not a pattern switch: that switch's class is spun at run time, in every restore.
            RestoreSource source = planOrSkip(client, target, time, out);
            if (source instanceof RestoreSource.Litestream03 legacy) {
                return restore03(legacy, check, out);
            }
            if (source instanceof RestoreSource.Ltx ltx) {
                return restoreLtx(client, ltx.plan(), target.isPresent() || time != null, check, out);
            }
            return 0; // null: nothing to restore and -if-replica-exists, said already
        }
    }

    /** {@code chosen}: a TXID or time was asked for (else the newest, which a re-plan may move past the planned TXID). */
    private int restoreLtx(ReplicaClient client, RestorePlan plan, boolean chosen, RestoreOptions.IntegrityCheck check, PrintWriter out)
            throws IOException {
        if (dryRun) {
            out.printf("restore of %s to TXID %s would apply %d files (%d bytes):%n", client.location(), Txid.format(plan.txid()),
                    plan.files().size(), plan.totalBytes());
            LtxListing.table(plan.files(), out);
            return 0;
        }
        RestoreOptions options = RestoreOptions.of(output, plan, chosen, check, force);
        Restorer.Result r = Restorer.restore(client, plan, options, parallelism);
        // A restore whose integrity check finds a problem fails: reaching here means it passed.
        out.printf("restored %s to TXID %s from %d files (%d bytes)%s%s%n", output, Txid.format(r.txid()), r.files(), r.bytes(),
                r.checksumVerified() ? ", database checksum verified" : "",
                check == RestoreOptions.IntegrityCheck.NONE ? "" : ", integrity check (%s) ok".formatted(check.name().toLowerCase(java.util.Locale.ROOT)));
        return 0;
    }

    /** Checks the follow-mode flags (as Litestream: no target, no dry run) and parses {@code -follow-interval}. */
    private Duration parseFollowInterval() {
        Duration interval;
        try {
            interval = GoDuration.parse(followInterval);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid -follow-interval \"%s\": want a duration such as 1s or 500ms".formatted(followInterval), e);
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("invalid -follow-interval %s: want more than 0".formatted(followInterval));
        }
        if (follow) {
            if (txid != null) {
                throw new IllegalArgumentException("cannot use follow mode with -txid: follow mode keeps the newest state");
            }
            if (timestamp != null) {
                throw new IllegalArgumentException("cannot use follow mode with -timestamp: follow mode keeps the newest state");
            }
            if (dryRun) {
                throw new IllegalArgumentException("cannot use -dry-run with -f");
            }
            if (v3) {
                throw new IllegalArgumentException("cannot use follow mode with -v3: a Litestream 0.3 backup cannot be followed");
            }
        }
        return interval;
    }

    /**
     * {@code restore -f}: restores (or resumes) and applies new files every {@code interval} until
     * SIGINT, SIGTERM or SIGHUP, then exits 0 like Litestream.
     */
    private int follow(ReplicaClient client, Duration interval, RestoreOptions.IntegrityCheck check, PrintWriter out) throws IOException {
        FollowRestore.Listener listener = new FollowRestore.Listener() {
            @Override
            public void restored(Path db, Restorer.Result r) {
                out.printf("restored %s to TXID %s from %d files (%d bytes)%s%n", db, Txid.format(r.txid()), r.files(), r.bytes(),
                        r.checksumVerified() ? ", database checksum verified" : "");
                entering(db, r.txid());
            }

            @Override
            public void resumed(Path db, long txid) {
                out.printf("resuming follow mode from TXID %s (%s)%n", Txid.format(txid), FollowTxidFile.of(db));
                entering(db, txid);
            }

            private void entering(Path db, long txid) {
                out.printf("entering follow mode: output=%s txid=%s interval=%s%n", db, Txid.format(txid), GoDuration.format(interval));
                out.flush();
            }

            @Override
            public void applied(long from, long to, int files, long pages) {
                out.printf("follow: applied updates from_txid=%s to_txid=%s files=%d pages=%d%n", Txid.format(from), Txid.format(to), files, pages);
                out.flush();
            }

            @Override
            public void failed(IOException error, int consecutive) {
                LOG.log(System.Logger.Level.ERROR, "follow: error applying updates (consecutive errors: {0}): {1}", consecutive, error.getMessage());
            }
        };
        FollowRestore f = new FollowRestore(client, new FollowRestore.Options(output, interval, check, force, parallelism), listener, Clock.systemUTC());
        Signals.onTermination(name -> f.stop());
        try (f) {
            f.run();
        } catch (NoBackupException e) {
            if (ifReplicaExists) {
                out.println("no matching backups found, skipping");
                return 0;
            }
            throw e;
        }
        out.printf("follow mode stopped at TXID %s%n", Txid.format(f.txid()));
        return 0;
    }

    /**
     * Plans the restore ({@link RestoreSource}: the LTX files, or the Litestream 0.3 backup); null
     * when there is nothing to restore and {@code -if-replica-exists} says to skip.
     */
    private RestoreSource planOrSkip(ReplicaClient client, OptionalLong target, Instant time, PrintWriter out) throws IOException {
        try {
            return RestoreSource.plan(client, target, time, v3);
        } catch (NoBackupException e) {
            if (ifReplicaExists) {
                out.println("no matching backups found, skipping");
                return null;
            }
            throw e;
        }
    }

    /** Restores the Litestream 0.3 backup ({@code generations/}) the replica holds, as planned. */
    private int restore03(RestoreSource.Litestream03 legacy, RestoreOptions.IntegrityCheck check, PrintWriter out) throws IOException {
        Litestream03Plan plan = legacy.plan();
        if (dryRun) {
            out.printf("restore of the Litestream 0.3 backup in %s (generation %s) would apply %d files (%d bytes):%n", legacy.location(),
                    plan.generation(), plan.files().size(), plan.totalBytes());
            for (Litestream03Plan.Segment s : plan.files()) {
                out.printf("%s  %d  %s%n", s.file().path(), s.file().size(), s.file().modified());
            }
            return 0;
        }
        var r = legacy.restore(new RestoreOptions(output, OptionalLong.empty(), check, force));
        out.printf("restored %s from the Litestream 0.3 backup in %s: generation %s, snapshot at WAL index %08x, WAL up to index %08x, %d files (%d bytes)%s%n",
                output, legacy.location(), r.generation(), r.snapshotIndex(), r.lastWalIndex(), r.files(), r.bytes(),
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
