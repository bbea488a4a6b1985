package io.litestream4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.ReplicaConfig;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code litestream databases [-json]}: the databases of the config file and their replicas. */
@Command(name = "databases", description = "lists the databases in the config file and their replicas",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream databases [-config PATH] [-no-expand-env] [-json]")
final class DatabasesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-json", "--json"}, description = "print JSON instead of a table")
    boolean json;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Config config = configOptions.load();
        common.configureLogging(spec.commandLine(), config);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> dbs = config.allDatabases().stream().map(DatabasesCommand::asMap).toList();
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(dbs));
            out.flush();
            return 0;
        }
        TextTable table = new TextTable("path", "replicas");
        for (DatabaseConfig db : config.allDatabases()) {
            table.row(db.path(), String.join(", ", db.replicas().stream().map(r -> r.name().equals(r.type()) ? r.type() : r.name() + " (" + r.type() + ")").toList()));
        }
        table.print(out);
        return 0;
    }

    private static Map<String, Object> asMap(DatabaseConfig db) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", db.path().toString());
        m.put("replicas", db.replicas().stream().map(DatabasesCommand::asMap).toList());
        return m;
    }

    private static Map<String, Object> asMap(ReplicaConfig r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("type", r.type());
        return m;
    }
}
