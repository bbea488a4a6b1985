package io.litestream4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code litestream list} and {@code info}: what a running replicator replicates, and the process itself. */
final class ListInfoCommands {
    private ListInfoCommands() {}

    @Command(name = "list", description = "lists the databases of a running replicator (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream list [-timeout SECONDS] [-socket PATH] [-json]")
    static final class ListDatabases implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait (default: 10)")
        int timeout = 10;

        @Mixin
        ControlOptions control;

        @Override
        public Integer call() throws IOException {
            JsonNode a = control.call("list", "GET", "/list", null, timeout);
            var out = spec.commandLine().getOut();
            if (control.json) {
                out.println(ControlClient.pretty(a));
            } else if (a.path("databases").isEmpty()) {
                out.println("No databases configured");
            } else {
                for (JsonNode db : a.path("databases")) {
                    String sync = db.hasNonNull("last_sync_at") ? Instant.parse(db.get("last_sync_at").asText()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString() : "never";
                    out.printf("%s [%s] (last sync: %s)%n", db.path("path").asText(), db.path("status").asText(), sync);
                }
            }
            return 0;
        }
    }

    @Command(name = "info", description = "shows a running replicator's version, pid, uptime and database count (control socket)",
            synopsisHeading = "%nUsage: ", customSynopsis = "litestream info [-timeout SECONDS] [-socket PATH] [-json]")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", description = "how long to wait (default: 10)")
        int timeout = 10;

        @Mixin
        ControlOptions control;

        @Override
        public Integer call() throws IOException {
            JsonNode a = control.call("info", "GET", "/info", null, timeout);
            var out = spec.commandLine().getOut();
            if (control.json) {
                out.println(ControlClient.pretty(a));
            } else {
                out.printf("Litestream %s%n", a.path("version").asText());
                out.printf("  PID:        %d%n", a.path("pid").asLong());
                out.printf("  Uptime:     %s%n", io.litestream4j.core.GoDuration.format(java.time.Duration.ofSeconds(a.path("uptime_seconds").asLong())));
                out.printf("  Started at: %s%n", Instant.parse(a.path("started_at").asText()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                out.printf("  Databases:  %d%n", a.path("database_count").asInt());
            }
            return 0;
        }
    }
}
