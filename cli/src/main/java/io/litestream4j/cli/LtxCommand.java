package io.litestream4j.cli;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code litestream ltx [-level N|all] [-json] DB_PATH|REPLICA_URL}: lists a replica's LTX files. */
@Command(name = "ltx", aliases = "wal", description = "lists the LTX files of a replica",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream ltx [-level N|all] [-json] [-replica NAME] DB_PATH|REPLICA_URL")
final class LtxCommand implements Callable<Integer> {
    private static final Comparator<LtxFileInfo> BY_LEVEL_THEN_TXID =
            Comparator.comparingInt(LtxFileInfo::level).thenComparing(LtxFileInfo::minTxid, Long::compareUnsigned);

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH|REPLICA_URL", description = "a replica URL or folder, or a database path from the config file")
    String replica;

    @Option(names = {"-replica", "--replica"}, paramLabel = "NAME",
            description = "with DB_PATH: the configured replica to list (default: the one with the newest data)")
    String replicaName;

    @Mixin
    ConfigOptions configOptions;

    @Option(names = {"-level", "--level"}, paramLabel = "N|all", description = "the level to list, 0 to 9, or all (default 0)")
    String level = "0";

    @Option(names = {"-json", "--json"}, description = "print JSON instead of a table")
    boolean json;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        common.configureLogging(spec.commandLine().getErr());
        PrintWriter out = spec.commandLine().getOut();
        try (ReplicaClient client = ReplicaArgument.open(replica, configOptions, replicaName)) {
            List<LtxFileInfo> files = "all".equalsIgnoreCase(level)
                    ? RestorePlanner.listAll(client).stream().sorted(BY_LEVEL_THEN_TXID).toList()
                    : client.listFiles(parseLevel(level), 0);
            if (json) {
                LtxListing.json(files, out);
            } else {
                LtxListing.table(files, out);
            }
            return 0;
        }
    }

    static int parseLevel(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 0 && n <= LtxFileInfo.MAX_LEVEL) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("invalid -level \"%s\": want 0 to %d or all".formatted(s, LtxFileInfo.MAX_LEVEL));
    }
}
