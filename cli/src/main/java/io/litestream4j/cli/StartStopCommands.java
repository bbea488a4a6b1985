package io.litestream4j.cli;

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

/** {@code litestream start} and {@code litestream stop}: one database of a running replicator, through its control socket. */
final class StartStopCommands {
    private StartStopCommands() {}

    /** What both print, in Litestream's field order. */
    record Result(String status, @JsonProperty("db_path") String dbPath, String state, long txid, String socket) {}

    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DB_PATH", description = "the database, as the replicator names it")
        String dbPath;

        @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait (default: 30)")
        int timeout = 30;

        @Mixin
        ControlOptions control;

        abstract String name();

        abstract String state();

        @Override
        public Integer call() throws IOException {
            JsonNode a = control.call(name(), "POST", "/" + name(), new ControlApi.PathRequest(dbPath, timeout, null, null), timeout);
            Result r = new Result(a.path("status").asText(), a.path("path").asText(), state(), a.path("txid").asLong(), control.socket.toString());
            var out = spec.commandLine().getOut();
            if (control.json) {
                out.println(ControlClient.pretty(r));
            } else {
                out.printf("status: %s%ndb_path: %s%nstate: %s%ntxid: %d%nsocket: %s%n", r.status(), r.dbPath(), r.state(), r.txid(), r.socket());
            }
            return 0;
        }
    }

    @Command(name = "start", description = "starts replicating a database of a running replicator (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream start [-timeout SECONDS] [-socket PATH] [-json] DB_PATH")
    static final class Start extends Base {
        @Override
        String name() {
            return "start";
        }

        @Override
        String state() {
            return "running";
        }
    }

    @Command(name = "stop", description = "stops replicating a database of a running replicator after a final sync (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream stop [-timeout SECONDS] [-socket PATH] [-json] DB_PATH")
    static final class Stop extends Base {
        @Override
        String name() {
            return "stop";
        }

        @Override
        String state() {
            return "stopped";
        }
    }
}
