package io.litestream4j.ltx;

import java.io.IOException;

/**
 * An LTX file is not well formed: a field out of range, a broken page frame, an index that does
 * not match the pages. The message names the file and says what was expected and what was found.
 */
public class LtxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String file;

    public LtxFormatException(String file, String detail) {
        super("ltx file " + file + ": " + detail);
        this.file = file;
    }

    public LtxFormatException(String file, String detail, Throwable cause) {
        super("ltx file " + file + ": " + detail, cause);
        this.file = file;
    }

    /** The file's name as the caller gave it (a path, a replica key, or a description). */
    public String file() {
        return file;
    }
}
