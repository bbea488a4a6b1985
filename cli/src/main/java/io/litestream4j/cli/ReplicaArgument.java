package io.litestream4j.cli;

import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.DatabaseConfig;
import io.litestream4j.cli.config.ReplicaConfig;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code DB_PATH|REPLICA_URL} argument of {@code restore} and {@code ltx}: a URL or a replica
 * folder, or a database path looked up in the config file.
 */
final class ReplicaArgument {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ReplicaArgument.class);

    private ReplicaArgument() {}

    /** True if {@code arg} names a replica directly (a URL or an existing folder), not a database. */
    static boolean isReplica(String arg) throws IOException {
        ReplicaClients.checkNotMalformedUrl(arg);
        return ReplicaClients.isUrl(arg) || Files.isDirectory(Path.of(arg));
    }

    /**
     * Opens the replica {@code arg} names: a URL or folder itself, else the database of that path
     * in the config file, its replica {@code name} (or the one with the newest data if null).
     */
    static ReplicaClient open(String arg, ConfigOptions options, String name) throws IOException {
        return isReplica(arg) ? open(arg) : open(database(options, arg), name);
    }

    /** Opens the replica named by a URL or folder. */
    static ReplicaClient open(String arg) throws IOException {
        return ReplicaClients.open(arg);
    }

    /** The configured database at {@code path}, from the config file {@code options} name. */
    static DatabaseConfig database(ConfigOptions options, String path) throws IOException {
        if (!Files.exists(options.path())) {
            throw new IllegalArgumentException("%s is not a replica URL or folder, and there is no config file %s to look it up in as a database (use -config)"
                    .formatted(path, options.path()));
        }
        return database(options.load(), path);
    }

    /** The configured database at {@code path}; an error says which file was searched and what it holds, and that a replica URL would do. */
    static DatabaseConfig database(Config config, String path) {
        return database(config, path, "; or pass a replica URL");
    }

    /** The configured database at {@code path}; an error says which file was searched, what it holds, then {@code hint}. */
    static DatabaseConfig database(Config config, String path, String hint) {
        return config.database(Path.of(path)).orElseThrow(() -> new IllegalArgumentException(
                "database %s is not in config %s (it lists %s)%s".formatted(Path.of(path).toAbsolutePath().normalize(),
                        config.file(), config.dbs().isEmpty() ? "no databases" : String.join(", ", config.dbs().stream().map(d -> d.path().toString()).toList()),
                        hint)));
    }

    /**
     * Opens the replica called {@code name}, or when none is named the one holding the newest
     * TXID (a replica that cannot be read is skipped with a warning, unless it is the only one).
     */
    static ReplicaClient open(DatabaseConfig db, String name) throws IOException {
        List<ReplicaConfig> replicas = db.replicas();
        if (name != null) {
            ReplicaConfig r = replicas.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "database %s has no replica named \"%s\" (it has %s)".formatted(db.path(), name,
                            String.join(", ", replicas.stream().map(ReplicaConfig::name).toList()))));
            return r.open();
        }
        if (replicas.size() == 1) {
            return replicas.getFirst().open();
        }
        ReplicaClient best = null;
        long bestTxid = -1;
        IOException firstError = null;
        ReplicaClient writeOnly = null; // chosen only if no replica can be read, so its error says why
        for (ReplicaConfig r : replicas) {
            ReplicaClient client = null;
            try {
                client = r.open();
                var why = WriteOnly.of(client);
                if (why.isPresent()) {
                    LOG.log(System.Logger.Level.WARNING, "replica {0} of {1} skipped: its files cannot be read: {2}", r.name(), db.path(), why.get());
                    if (writeOnly == null) {
                        writeOnly = client;
                        client = null;
                    }
                    continue;
                }
                long txid = RestorePlanner.listAll(client).stream().mapToLong(LtxFileInfo::maxTxid).reduce(0, io.litestream4j.ltx.Txid::max);
                LOG.log(System.Logger.Level.INFO, "replica {0} ({1}) reaches TXID {2}", r.name(), client.location(), io.litestream4j.ltx.Txid.format(txid));
                if (best == null || Long.compareUnsigned(txid, bestTxid) > 0) { // TXIDs are unsigned 64-bit
                    if (best != null) {
                        best.close();
                    }
                    best = client;
                    bestTxid = txid;
                    client = null;
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "replica {0} of {1} skipped: {2}", r.name(), db.path(), e.getMessage());
                firstError = firstError == null ? e : firstError;
            } finally {
                if (client != null) {
                    client.close();
                }
            }
        }
        if (best == null && writeOnly != null) {
            return writeOnly;
        }
        if (writeOnly != null) {
            writeOnly.close();
        }
        if (best == null) {
            throw firstError;
        }
        return best;
    }
}
