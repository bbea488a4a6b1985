package io.litestream4j.core.replica;

import io.litestream4j.ltx.TxidRange;
import java.nio.file.Path;

/**
 * A capability of replicas whose files are on a local file system: readers open them in place
 * instead of downloading a copy. Checked with {@code instanceof}.
 */
public interface LocalFiles {
    /** Where a file of the replica lives (it may not exist). */
    Path localPath(int level, TxidRange range);
}
