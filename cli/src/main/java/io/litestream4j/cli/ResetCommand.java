package io.litestream4j.cli;

import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.DatabaseOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code litestream reset [-dry-run] DB_PATH}: deletes a database's local LTX files (its
 * {@code <meta>/ltx} folder), as Litestream 0.5 does, so that the next sync starts from a full
 * snapshot that continues the replica's TXIDs. The database and the replicas are not touched.
 * Run it while no replicator runs for the database.
 */
@Command(name = "reset", description = "deletes a database's local replication state; the next sync writes a fresh snapshot",
        synopsisHeading = "%nUsage: ", customSynopsis = "litestream reset [-config PATH] [-no-expand-env] [-dry-run] DB_PATH")
final class ResetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DB_PATH", description = "the database whose local state to delete")
    Path dbPath;

    @Option(names = {"-dry-run", "--dry-run"}, description = "list the local files that would be deleted, and delete nothing")
    boolean dryRun;

    @Option(names = {"-config", "--config"}, paramLabel = "PATH", description = "a config file naming the database's meta-path (read only when given)")
    Path config;

    @Option(names = {"-no-expand-env", "--no-expand-env"}, description = "do not expand $VAR and $${VAR} in the config file")
    boolean noExpandEnv;

    @Override
    public Integer call() throws IOException {
        Path db = Replication.absolute(dbPath);
        DatabaseOptions options = DatabaseOptions.defaults();
        if (config != null) {
            var loaded = io.litestream4j.cli.config.ConfigLoader.load(config, !noExpandEnv);
            options = loaded.database(db).map(DatabaseConfig::options).orElse(options);
        }
        if (!Files.exists(db)) {
            throw new IOException("database does not exist: " + db);
        }
        Path meta = io.litestream4j.core.Database.metaDir(db, options);
        Path ltx = meta.resolve("ltx");
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.exists(meta)) {
            out.printf("No local state to reset for %s%n", db);
            out.printf("Meta directory does not exist: %s%n", meta);
            return 0;
        }
        if (dryRun) {
            List<Path> files = files(ltx);
            out.printf("Dry run: local Litestream state would be reset for: %s%n", db);
            out.printf("Would remove: %s%n", ltx);
            if (files.isEmpty()) {
                out.println("No local LTX files would be removed.");
                return 0;
            }
            out.println("Files that would be removed:");
            files.forEach(f -> out.printf("  %s%n", f));
            out.println("No files were removed.");
            return 0;
        }
        out.printf("Resetting local Litestream state for: %s%n", db);
        out.printf("Removing: %s%n", ltx);
        deleteTree(ltx);
        out.println("Reset complete. Next replication sync will create a fresh snapshot.");
        return 0;
    }

    static List<Path> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Deletes {@code root} and everything under it, deepest first; absent is fine. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted(java.util.Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new IOException("reset failed: delete %s: %s".formatted(p, io.litestream4j.core.IoErrors.describe(e)), e);
            }
        }
    }
}
