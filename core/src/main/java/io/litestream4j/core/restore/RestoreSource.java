package io.litestream4j.core.restore;

import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which backup of a replica a restore reads, decided once for the command line's {@code restore}
 * and the library's {@code Restore}: the LTX files, or the Litestream 0.3 backup
 * ({@code generations/}) when that is all the replica holds, when the time asked for is before
 * the first LTX snapshot of a replica migrated from 0.3 (the older states are in its 0.3 backup),
 * or when the caller asks for it ({@code -v3}).
 */
public sealed interface RestoreSource {
    /** The replica's LTX files, as planned. */
    record Ltx(RestorePlan plan) implements RestoreSource {}

    /** The replica's Litestream 0.3 backup, as planned; it has no TXIDs. */
    record Litestream03(LegacyLayout layout, String location, Litestream03Plan plan) implements RestoreSource {
        /** Restores it ({@link Litestream03Restorer}); {@code options.txid()} is not used. */
        public Litestream03Restorer.Result restore(RestoreOptions options) throws IOException {
            return Litestream03Restorer.restore(layout, location, plan, options);
        }
    }

    /**
     * Plans a restore of {@code client} to {@code txid} or {@code time} (at most one; neither for
     * the newest state) from its LTX files, falling back to its Litestream 0.3 backup as the class
     * comment says; {@code litestream03} reads the 0.3 backup without looking at LTX files.
     *
     * @throws io.litestream4j.NoBackupException nothing to restore (at or before the target)
     * @throws IllegalArgumentException a TXID asked of a 0.3 backup, which has none
     */
    static RestoreSource plan(ReplicaClient client, OptionalLong txid, Instant time, boolean litestream03) throws IOException {
        if (litestream03) {
            return litestream03(client, txid, time);
        }
        try {
            return new Ltx(time == null ? RestorePlanner.plan(client, txid) : RestorePlanner.planAt(client, time));
        } catch (RestorePlanner.LegacyBackupException e) {
            return litestream03(client, txid, time); // only a Litestream 0.3 backup in the replica
        } catch (RestorePlanner.NoStateAtTimeException e) {
            Optional<LegacyLayout> legacy = client.capability(LegacyLayout.class);
            if (legacy.isPresent() && legacy.get().holdsLitestream03()) {
                io.litestream4j.core.log.Loggers.get(RestoreSource.class).log(System.Logger.Level.INFO, "{0}; restoring from the Litestream 0.3 backup beside the LTX files", e.getMessage());
                return litestream03(client, txid, time);
            }
            throw e;
        }
    }

    private static Litestream03 litestream03(ReplicaClient client, OptionalLong txid, Instant time) throws IOException {
        if (txid.isPresent()) {
            throw new IllegalArgumentException("TXID %s does not apply to the Litestream 0.3 backup in %s (it has no TXIDs): restore to a time (-timestamp)"
                    .formatted(Txid.format(txid.getAsLong()), client.location()));
        }
        LegacyLayout legacy = client.capability(LegacyLayout.class).orElseThrow(() -> new IOException(
                "replica %s: the %s backend cannot read Litestream 0.3 backups".formatted(client.location(), client.type())));
        return new Litestream03(legacy, client.location(), Litestream03Plan.plan(client.location(), legacy.listLegacyFiles(), time));
    }
}
