package io.litestream4j;

import java.io.IOException;

/**
 * The replica holds no backup (no file at all, or none at or before the point asked for): a
 * caller that restores-if-possible starts from an empty database on this, and only on this.
 */
public final class NoBackupException extends IOException {
    private static final long serialVersionUID = 1L;

    public NoBackupException(String message) {
        super(message);
    }
}
