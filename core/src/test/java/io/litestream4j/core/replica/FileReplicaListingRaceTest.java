package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A listing taken while retention deletes files skips the ones gone meanwhile instead of failing (restores and VFS polls list while retention runs). */
class FileReplicaListingRaceTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void listingWhileFilesAreDeletedNeverFails() throws Exception {
        try (FileReplicaClient client = new FileReplicaClient(dir)) {
            int files = 2_000;
            for (long t = 1; t <= files; t++) {
                client.write(0, new TxidRange(t, t), new ByteArrayInputStream(new byte[] {1}), 1, Instant.EPOCH);
            }
            AtomicReference<Throwable> deleteFailure = new AtomicReference<>();
            Thread deleter = Thread.ofPlatform().start(() -> {
                try {
                    for (long t = 1; t <= files; t++) {
                        client.delete(0, new TxidRange(t, t));
                    }
                } catch (Throwable e) {
                    deleteFailure.set(e);
                }
            });
            int listings = 0;
            int last = files;
            while (deleter.isAlive() || listings == 0) {
                int listed = client.listFiles(0, 0).size(); // before the fix: NoSuchFileException for a file deleted mid-listing
                assertThat(listed).isLessThanOrEqualTo(last);
                last = listed;
                listings++;
            }
            deleter.join();
            assertThat(deleteFailure.get()).isNull();
            assertThat(client.listFiles(0, 0)).isEmpty();
            System.out.println("FileReplicaListingRaceTest: " + listings + " listings while " + files + " files were deleted");
        }
    }
}
