package io.litestream4j.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream sync [-wait] DB_PATH}: makes a running replicator sync a database now. With
 * {@code -wait} it returns 0 only once every replica holds everything committed before the
 * command ran: what a deploy script runs before it shuts the machine down.
 */
@Command(name = "sync", description = "syncs a database of a running replicator now; -wait: until every replica holds it (control socket)",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream sync [-wait] [-timeout SECONDS] [-socket PATH] [-json] DB_PATH")
final class SyncCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH", description = "the database, as the replicator names it")
    String dbPath;

    @Option(names = {"-wait", "--wait"}, description = "wait until every replica holds what was committed before the call")
    boolean waitForReplicas;

    @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait (default: 30)")
    int timeout = 30;

    @Mixin
    ControlOptions control;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(@JsonProperty("db_path") String dbPath, long txid, @JsonProperty("replica_txid") Long replicaTxid,
            @JsonProperty("duration_ms") long durationMs) {}

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        JsonNode a = control.call("sync", "POST", "/sync", new ControlApi.PathRequest(dbPath, timeout, waitForReplicas ? true : null, null), timeout);
        long millis = (System.nanoTime() - start) / 1_000_000;
        Result r = new Result(a.path("path").asText(), a.path("txid").asLong(), waitForReplicas ? a.path("replicated_txid").asLong() : null, millis);
        var out = spec.commandLine().getOut();
        if (control.json) {
            out.println(ControlClient.pretty(r));
        } else {
            out.printf("db_path: %s%ntxid: %d%n", r.dbPath(), r.txid());
            if (r.replicaTxid() != null) {
                out.printf("replica_txid: %d%n", r.replicaTxid());
            }
            out.printf("duration_ms: %d%n", r.durationMs());
        }
        return 0;
    }
}
