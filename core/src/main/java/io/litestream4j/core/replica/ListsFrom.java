package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.util.List;

/**
 * A capability: the store lists a level from a file name on by itself (S3's {@code start-after}),
 * so a listing of a level's newest files costs those files, not every file the level holds. A
 * follower polling every second for what comes after its TXID uses it: L0 keeps minutes of files
 * ({@code l0-retention}), hundreds at one sync a second, which a plain listing returns (and a
 * store such as S3Proxy stats) on every poll.
 */
public interface ListsFrom {
    /**
     * The files of {@code level} whose min TXID is at least {@code minTxid} (a few before them may
     * be included), sorted as {@link ReplicaClient#listFiles} sorts. Unlike {@code listFiles}, a
     * file holding TXIDs on both sides of {@code minTxid} may be left out.
     */
    List<LtxFileInfo> listFilesFrom(int level, long minTxid) throws IOException;

    /**
     * The files of {@code level} whose min TXID is at least {@code minTxid}: one listing from there
     * where the client can ({@link ListsFrom}), else the level's listing, filtered.
     */
    static List<LtxFileInfo> startingAt(ReplicaClient client, int level, long minTxid) throws IOException {
        var from = client.capability(ListsFrom.class);
        List<LtxFileInfo> files = from.isPresent() ? from.get().listFilesFrom(level, minTxid) : client.listFiles(level, minTxid);
        return files.stream().filter(f -> Long.compareUnsigned(f.minTxid(), minTxid) >= 0).toList();
    }
}
