package io.litestream4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.core.Database;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream status [DB_PATH] [-json]}: for each configured database, whether it exists
 * and was replicated from here, its newest local TXID and its WAL size. Reads files only; it
 * does not open the databases or contact the replicas.
 */
@Command(name = "status", description = "shows the replication status of the configured databases",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream status [-config PATH] [-no-expand-env] [-json] [DB_PATH]")
final class StatusCommand implements Callable<Integer> {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DB_PATH", description = "only this database (default: every configured one)")
    Path dbPath;

    @Option(names = {"-json", "--json"}, description = "print JSON instead of a table")
    boolean json;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    CommonOptions common;

    /** One row: status is {@code ok}, {@code not initialized}, {@code no database} or {@code error}. */
    record Row(Path database, String status, OptionalLong localTxid, long walSize) {}

    @Override
    public Integer call() throws Exception {
        Config config = configOptions.load();
        common.configureLogging(spec.commandLine(), config);
        List<DatabaseConfig> dbs = dbPath == null ? config.allDatabases() : List.of(ReplicaArgument.database(config, dbPath.toString(), "")); // status reads local state only: no replica URL to offer
        List<Row> rows = dbs.stream().map(StatusCommand::status).toList();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows.stream().map(StatusCommand::asMap).toList()));
            out.flush();
        } else {
            TextTable table = new TextTable("database", "status", "local txid", "wal size");
            for (Row r : rows) {
                table.row(r.database(), r.status(), r.localTxid().isPresent() ? Txid.format(r.localTxid().getAsLong()) : "-", r.walSize());
            }
            table.print(out);
        }
        return rows.stream().anyMatch(r -> r.status().equals("error")) ? 1 : 0;
    }

    static Row status(DatabaseConfig db) {
        if (!Files.exists(db.path())) {
            return new Row(db.path(), "no database", OptionalLong.empty(), 0);
        }
        try {
            Path wal = Path.of(db.path() + "-wal");
            long walSize = Files.exists(wal) ? Files.size(wal) : 0;
            OptionalLong txid = Database.localTxid(db.path(), db.options());
            return new Row(db.path(), txid.isPresent() ? "ok" : "not initialized", txid, walSize);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "{0}: {1}", db.path(), e.getMessage());
            return new Row(db.path(), "error", OptionalLong.empty(), 0);
        }
    }

    private static Map<String, Object> asMap(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("database", r.database().toString());
        m.put("status", r.status());
        m.put("local_txid", r.localTxid().isPresent() ? Txid.format(r.localTxid().getAsLong()) : null);
        m.put("wal_size", r.walSize());
        return m;
    }
}
