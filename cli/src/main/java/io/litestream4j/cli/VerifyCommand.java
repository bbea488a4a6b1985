package io.litestream4j.cli;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.ReplicaVerifier;
import io.litestream4j.ltx.Txid;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream verify [-json] DB_PATH|REPLICA_URL} (beyond Litestream): reads a whole
 * replica and checks every file's checksums, the TXID chain of each level, and restores its
 * newest state and its oldest restorable point. Exit status 1 on any problem.
 */
@Command(name = "verify", description = "checks a replica end to end: checksums, TXID chains, restore drills; exit 1 on any problem",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream verify [-json] [-config PATH] [-replica NAME] DB_PATH|REPLICA_URL")
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH|REPLICA_URL", description = "a replica URL or folder, or a database path from the config file")
    String replica;

    @Option(names = {"-replica", "--replica"}, paramLabel = "NAME",
            description = "with DB_PATH: the configured replica to verify (default: the one with the newest data)")
    String replicaName;

    @Option(names = {"-json", "--json"}, description = "print the report as JSON")
    boolean json;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        common.configureLogging(spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("litestream-verify");
        ReplicaVerifier.Report report;
        try (ReplicaClient client = ReplicaArgument.open(replica, configOptions, replicaName)) {
            report = ReplicaVerifier.verify(client, work);
        } finally {
            Files.deleteIfExists(work);
        }
        if (json) {
            out.println(ControlClient.pretty(report));
        } else {
            out.printf("replica: %s%nfiles: %d (%d bytes), checksums and TXID chains checked%n", report.replica(), report.files(), report.bytes());
            for (ReplicaVerifier.Drill d : report.drills()) {
                out.printf("restore drill %s: %s%n", d.name(), d.ok() ? "ok, TXID %s from %d files, integrity check ok".formatted(Txid.format(d.txid()), d.files())
                        : "FAILED: " + d.error());
            }
            for (ReplicaVerifier.Problem p : report.problems()) {
                out.printf("problem (%s): %s%n", p.kind(), p.message());
            }
            out.println(report.ok() ? "ok" : "%d problem(s)".formatted(report.problems().size()));
        }
        return report.ok() ? 0 : 1;
    }
}
