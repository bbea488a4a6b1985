package io.litestream4j.ltx;

import java.util.Optional;
import java.util.regex.Pattern;

/** The TXIDs an LTX file covers, and its file name {@code %016x-%016x.ltx}. */
public record TxidRange(long min, long max) {
    private static final Pattern NAME = Pattern.compile("([0-9a-f]{16})-([0-9a-f]{16})\\.ltx");

    public TxidRange {
        if (min == 0 || Long.compareUnsigned(min, max) > 0) {
            throw new IllegalArgumentException("invalid txid range %s-%s: want 0 < min <= max".formatted(Txid.format(min), Txid.format(max)));
        }
    }

    public String fileName() {
        return fileName(min, max);
    }

    public static String fileName(long min, long max) {
        return Txid.format(min) + "-" + Txid.format(max) + ".ltx";
    }

    /** The range named by an LTX file name, or empty if the name is not one (lower-case hex only, as written). */
    public static Optional<TxidRange> fromFileName(String name) {
        var m = NAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        long min = java.util.HexFormat.fromHexDigitsToLong(m.group(1));
        long max = java.util.HexFormat.fromHexDigitsToLong(m.group(2));
        if (min == 0 || Long.compareUnsigned(min, max) > 0) {
            return Optional.empty();
        }
        return Optional.of(new TxidRange(min, max));
    }

    /** True if {@code next} continues this range with no gap: {@code next.min <= max + 1 && next.max > max}. */
    public boolean continuesWith(TxidRange next) {
        return Long.compareUnsigned(next.min, max + 1) <= 0 && Long.compareUnsigned(next.max, max) > 0;
    }

    @Override
    public String toString() {
        return Txid.format(min) + "-" + Txid.format(max);
    }
}
