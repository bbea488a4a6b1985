package io.litestream4j.cli;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code REPLICA_URL} argument of {@code restore} and {@code ltx}: a URL, or a replica folder. */
final class ReplicaArgument {
    private ReplicaArgument() {}

    /** Opens the replica; a path that is not a folder is refused (a database path needs the config file). */
    static ReplicaClient open(String arg) throws IOException {
        if (!ReplicaClients.isUrl(arg) && !Files.isDirectory(Path.of(arg))) {
            throw new IllegalArgumentException(
                    "replica %s: not a replica URL and not a folder (naming a database instead needs a config file, not supported yet)".formatted(arg));
        }
        return ReplicaClients.open(arg);
    }
}
