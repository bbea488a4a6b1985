package io.litestream4j.replica.webdav;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.TxidRange;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads read from a file, as every real caller's are: the JDK's body publisher closes its input
 * at the end, which once made the size check afterwards fail on a closed file. Against Apache.
 */
@Timeout(120)
class FileInputTest {
    @TempDir
    Path dir;

    @Test
    void aFileInputIsUploadedWholeAndLeftOpenForItsOwner() throws Exception {
        byte[] data = new byte[1_060_000];
        new Random(3).nextBytes(data);
        Path file = Files.write(dir.resolve("upload.ltx"), data);
        try (DavServer server = DavServer.apache(); ReplicaClient c = new WebDavReplicaClientFactory().create(URI.create(server.url("a/b")))) {
            try (InputStream in = Files.newInputStream(file)) {
                c.write(9, new TxidRange(1, 5), in, data.length, Instant.now());
            }
            try (InputStream in = c.open(9, new TxidRange(1, 5), 0, -1)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            assertThat(server.files().resolve("a/b/ltx/9")).isDirectoryContaining(p -> p.getFileName().toString().equals("0000000000000001-0000000000000005.ltx"));
            try (var listing = Files.list(server.files().resolve("a/b/ltx/9"))) {
                assertThat(listing.toList()).as("no temporary file left").hasSize(1);
            }
        }
    }
}
