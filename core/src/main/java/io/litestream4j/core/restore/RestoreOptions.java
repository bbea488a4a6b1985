package io.litestream4j.core.restore;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * @param output the database file to create
 * @param txid the TXID to restore, or empty for the newest
 * @param integrityCheck SQLite check run on the result before it is put in place
 * @param force replace an existing output (and its -wal and -shm files)
 */
public record RestoreOptions(Path output, OptionalLong txid, IntegrityCheck integrityCheck, boolean force) {
    /**
     * The options for restoring {@code plan}: to its TXID when the user chose one (a TXID or a
     * time, which the plan resolved), else to the newest, which a re-plan may move past the
     * planned TXID when retention removed a planned file meanwhile ({@link Restorer}).
     */
    public static RestoreOptions of(Path output, RestorePlan plan, boolean chosen, IntegrityCheck integrityCheck, boolean force) {
        return new RestoreOptions(output, chosen ? OptionalLong.of(plan.txid()) : OptionalLong.empty(), integrityCheck, force);
    }

    public enum IntegrityCheck {
        NONE, QUICK, FULL;

        public static IntegrityCheck parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> NONE;
                case "quick" -> QUICK;
                case "full" -> FULL;
                default -> throw new IllegalArgumentException("invalid -integrity-check \"%s\": want none, quick or full".formatted(s));
            };
        }
    }
}
