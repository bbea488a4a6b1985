package io.litestream4j.ltx;

/** A checksum stored in an LTX file does not match the one computed from its contents. */
public final class LtxChecksumException extends LtxFormatException {
    private static final long serialVersionUID = 1L;

    private final long expected;
    private final long actual;

    public LtxChecksumException(String file, String which, long expected, long actual) {
        super(file, which + " mismatch: want " + Checksums.format(expected) + ", got " + Checksums.format(actual));
        this.expected = expected;
        this.actual = actual;
    }

    /** The value stored in the file. */
    public long expected() {
        return expected;
    }

    /** The value computed from the contents. */
    public long actual() {
        return actual;
    }
}
