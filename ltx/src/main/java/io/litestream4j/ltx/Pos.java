package io.litestream4j.ltx;

/**
 * A replication position: the last TXID applied and the database checksum after it (0 when
 * checksums are not tracked). Written as {@code %016x/%016x}.
 */
public record Pos(long txid, long postApplyChecksum) {
    public static final Pos ZERO = new Pos(0, 0);

    public static Pos parse(String s) {
        if (s == null || s.length() != 33 || s.charAt(16) != '/') {
            throw new IllegalArgumentException("invalid position " + Checksums.quote(s) + ": want TXID/CHECKSUM, 16 hex digits each");
        }
        return new Pos(Txid.parse(s.substring(0, 16)).value(), Checksums.parse(s.substring(17)));
    }

    public boolean isZero() {
        return txid == 0 && postApplyChecksum == 0;
    }

    @Override
    public String toString() {
        return Txid.format(txid) + "/" + Checksums.format(postApplyChecksum);
    }
}
