package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxFormatException;
import io.litestream4j.ltx.LtxHeader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.List;

/**
 * File listings whose times are the ones the writer recorded, for any replica: a listing may carry
 * upload times (whole seconds on SFTP and WebDAV servers), which would put a point-in-time restore
 * at the wrong file. A replica with {@link ExactTimestamps} answers itself; for any other, each
 * file's time is read from its LTX header (its first {@value LtxHeader#SIZE} bytes, a ranged read),
 * a few files at a time.
 */
public final class ExactListings {
    /** Header reads in flight at once: enough to hide a round trip, few enough for one SSH channel or a small server. */
    private static final int PARALLEL_READS = 8;

    private ExactListings() {}

    /** The files of {@code level} from {@code fromTxid} with the writer's times (see {@link ReplicaClient#listFiles}). */
    public static List<LtxFileInfo> list(ReplicaClient client, int level, long fromTxid) throws IOException {
        var exact = client.capability(ExactTimestamps.class);
        if (exact.isPresent()) {
            return exact.get().listFilesExact(level, fromTxid);
        }
        return withHeaderTimes(client, client.listFiles(level, fromTxid));
    }

    /** {@code listed} with each time read from the file's header; a file deleted since the listing keeps its listed time. */
    public static List<LtxFileInfo> withHeaderTimes(ReplicaClient client, List<LtxFileInfo> listed) throws IOException {
        return Parallel.map(listed, PARALLEL_READS, f -> {
            Instant written = headerTime(client, f);
            return written == null ? f : new LtxFileInfo(f.level(), f.range(), f.size(), written);
        });
    }

    /**
     * The timestamp in a file's LTX header, or null if the file is gone (retention deleted it since
     * it was listed: a restore plan copes with a missing file). A file that is not an LTX file is
     * an error naming it.
     */
    public static Instant headerTime(ReplicaClient client, LtxFileInfo file) throws IOException {
        byte[] head;
        try (InputStream in = ReplicaReads.open(client, file.level(), file.range(), 0, LtxHeader.SIZE)) {
            head = in.readNBytes(LtxHeader.SIZE);
        } catch (NoSuchFileException gone) {
            return null;
        }
        String name = "%s: %d/%s".formatted(client.location(), file.level(), file.range().fileName());
        if (head.length < LtxHeader.SIZE) {
            throw new LtxFormatException(name, "header: want %d bytes, the file has %d".formatted(LtxHeader.SIZE, head.length));
        }
        return Instant.ofEpochMilli(LtxHeader.parse(name, head, 0).timestamp());
    }
}
