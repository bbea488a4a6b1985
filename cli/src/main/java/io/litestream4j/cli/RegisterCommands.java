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

/** {@code litestream register} and {@code unregister}: add a database to, or remove one from, a running replicator. */
final class RegisterCommands {
    private RegisterCommands() {}

    record Registered(String status, @JsonProperty("db_path") String dbPath, String replica, String socket) {}

    record Unregistered(String status, @JsonProperty("db_path") String dbPath, @JsonProperty("final_txid") long finalTxid, String socket) {}

    @Command(name = "register", description = "adds a database to a running replicator (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream register -replica URL [-timeout SECONDS] [-socket PATH] [-json] DB_PATH")
    static final class Register implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DB_PATH", description = "the SQLite database to replicate")
        String dbPath;

        @Option(names = {"-replica", "--replica"}, paramLabel = "URL", required = true, description = "where to replicate it (s3://bucket/prefix, file:///backup/path)")
        String replica;

        @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait (default: 30)")
        int timeout = 30;

        @Mixin
        ControlOptions control;

        @Override
        public Integer call() throws IOException {
            JsonNode a = control.call("register", "POST", "/register", new ControlApi.PathRequest(dbPath, null, null, replica), timeout);
            Registered r = new Registered(a.path("status").asText(), a.path("path").asText(), replica, control.socket.toString());
            var out = spec.commandLine().getOut();
            if (control.json) {
                out.println(ControlClient.pretty(r));
            } else {
                out.printf("status: %s%ndb_path: %s%nreplica: %s%nsocket: %s%n", r.status().equals("already_registered") ? "already registered" : r.status(),
                        r.dbPath(), r.replica(), r.socket());
            }
            return 0;
        }
    }

    @Command(name = "unregister", description = "removes a database from a running replicator after a final sync (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream unregister [-dry-run] [-timeout SECONDS] [-socket PATH] [-json] DB_PATH")
    static final class Unregister implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DB_PATH", description = "the database, as the replicator names it")
        String dbPath;

        @Option(names = {"-dry-run", "--dry-run"}, description = "print what would be asked, and ask nothing")
        boolean dryRun;

        @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait for the final sync (default: 30)")
        int timeout = 30;

        @Mixin
        ControlOptions control;

        @Override
        public Integer call() throws IOException {
            var out = spec.commandLine().getOut();
            if (timeout <= 0) {
                throw new IllegalArgumentException("timeout must be greater than 0");
            }
            if (dryRun) {
                out.println("Dry run: unregister request preview");
                out.printf("  database: %s%n  socket: %s%n", dbPath, control.socket);
                out.println("  replicas: daemon-managed replica for this database");
                out.println("  final sync: daemon close will sync the database and replica before the command completes");
                out.printf("  timeout: %ds%n", timeout);
                out.println("No unregister request was sent.");
                return 0;
            }
            JsonNode a = control.call("unregister", "POST", "/unregister", new ControlApi.PathRequest(dbPath, timeout, null, null), timeout);
            Unregistered r = new Unregistered(a.path("status").asText(), a.path("path").asText(), a.path("txid").asLong(), control.socket.toString());
            if (control.json) {
                out.println(ControlClient.pretty(r));
            } else {
                out.printf("status: %s%ndb_path: %s%nfinal_txid: %d%nsocket: %s%n", r.status(), r.dbPath(), r.finalTxid(), r.socket());
            }
            return 0;
        }
    }
}
