package io.litestream4j.core.replica;

import java.io.IOException;
import java.util.Optional;

/**
 * A replica whose files can be written but not read back: one encrypted to age recipients with
 * no identity to decrypt (as Litestream 0.3 allowed). A capability ({@link ReplicaClient#capability}),
 * found behind every decorator.
 *
 * <p>What works on such a replica: uploads, listings (names, sizes, times), retention (it decides
 * from listings alone), and snapshots taken from the local database. What cannot: restore,
 * {@code verify}, compaction (it merges stored files) and reading a position's checksum back at
 * start; each of those fails with {@link #requireReadable}'s error, never a silent skip.
 */
public interface WriteOnly {
    /** Why the files cannot be read, for messages: "its age block has recipients but no identities". */
    String reason();

    /** The reason {@code client} is write-only, or empty if its files can be read. */
    static Optional<String> of(ReplicaClient client) {
        return client.capability(WriteOnly.class).map(WriteOnly::reason);
    }

    /** Fails with an error naming the replica and {@code what} ("restore", "compaction") if {@code client} is write-only. */
    static void requireReadable(ReplicaClient client, String what) throws IOException {
        Optional<String> why = of(client);
        if (why.isPresent()) {
            throw new IOException("replica %s: %s reads its files, but they cannot be read: %s".formatted(client.location(), what, why.get()));
        }
    }
}
