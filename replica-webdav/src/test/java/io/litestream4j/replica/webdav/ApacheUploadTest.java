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
 * Uploads on Apache beyond the contract: read from a file, as every real caller's are (the JDK's
 * body publisher closes its input at the end, which once made the size check afterwards fail on a
 * closed file), and temporary uploads a crashed or killed writer left behind.
 */
@Timeout(120)
class ApacheUploadTest {
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
            try (InputStream in = c.open(9, new TxidRange(1, 5))) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            assertThat(server.files().resolve("a/b/ltx/9")).isDirectoryContaining(p -> p.getFileName().toString().equals("0000000000000001-0000000000000005.ltx"));
            try (var listing = Files.list(server.files().resolve("a/b/ltx/9"))) {
                assertThat(listing.toList()).as("no temporary file left").hasSize(1);
            }
        }
    }

    @Test
    void temporaryUploadsAbandonedOverAnHourAgoAreDeletedByTheNextListing() throws Exception {
        try (DavServer server = DavServer.apache(); ReplicaClient c = new WebDavReplicaClientFactory().create(URI.create(server.url("t")))) {
            c.write(0, new TxidRange(1, 1), new java.io.ByteArrayInputStream(new byte[10]), 10, Instant.now());
            Path level = server.files().resolve("t/ltx/0");
            Path abandoned = Files.write(level.resolve(".0000000000000002-0000000000000002.ltx.00112233445566ff.tmp"), new byte[5]);
            Path recent = Files.write(level.resolve(".0000000000000003-0000000000000003.ltx.00112233445566ff.tmp"), new byte[5]);
            Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(Instant.now().minus(WebDavReplicaClient.ABANDONED_AFTER).minusSeconds(60)));
            assertThat(c.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L);
            assertThat(abandoned).doesNotExist();
            assertThat(recent).as("an upload that may still be in flight stays").exists();
        }
    }

    @Test
    void uploadsAKilledWriterLeftAreSweptBeforeTheNextWritersFirstWriteButNeverByAReader() throws Exception {
        try (DavServer server = DavServer.apache(); ReplicaClient first = new WebDavReplicaClientFactory().create(URI.create(server.url("k")))) {
            first.write(0, new TxidRange(1, 1), new java.io.ByteArrayInputStream(new byte[10]), 10, Instant.now());
            first.write(1, new TxidRange(1, 1), new java.io.ByteArrayInputStream(new byte[10]), 10, Instant.now());
            // what a writer killed between its PUT and its MOVE leaves, seconds old
            Path level0 = server.files().resolve("k/ltx/0");
            Path leftover0 = Files.write(level0.resolve(".0000000000000002-0000000000000002.ltx.00112233445566ff.tmp"), new byte[5]);
            Path leftover1 = Files.write(server.files().resolve("k/ltx/1/.0000000000000002-0000000000000002.ltx.0011223344556677.tmp"), new byte[5]);
            try (ReplicaClient reader = new WebDavReplicaClientFactory().create(URI.create(server.url("k")))) {
                assertThat(reader.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L);
            }
            assertThat(leftover0).as("a reader leaves a recent upload alone: it may be a live writer's").exists();
            try (ReplicaClient restarted = new WebDavReplicaClientFactory().create(URI.create(server.url("k")))) {
                restarted.write(0, new TxidRange(2, 2), new java.io.ByteArrayInputStream(new byte[10]), 10, Instant.now());
                assertThat(leftover0).as("swept by the restarted writer's first write to level 0").doesNotExist();
                assertThat(leftover1).as("level 1 is swept at its own first write").exists();
                restarted.write(1, new TxidRange(2, 2), new java.io.ByteArrayInputStream(new byte[10]), 10, Instant.now());
                assertThat(leftover1).doesNotExist();
                assertThat(restarted.listFiles(0, 0)).extracting(f -> f.range().min()).containsExactly(1L, 2L);
            }
            try (var listing = Files.list(level0)) {
                assertThat(listing.map(f -> f.getFileName().toString()).toList())
                        .containsExactlyInAnyOrder("0000000000000001-0000000000000001.ltx", "0000000000000002-0000000000000002.ltx");
            }
        }
    }
}
