package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A released download's file is emptied and reused by a later download instead of deleted: a
 * plan of many files makes only a few files, and every file still reads back exactly as the
 * replica holds it.
 */
class PrefetcherReuseTest {
    private static final int PARALLELISM = 2;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void releasedFilesAreReusedAndEveryDownloadReadsBackWhole() throws Exception {
        Path replica = RestoreFailuresTest.replicate(dir, 8);
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (FileReplicaClient files = new FileReplicaClient(replica)) {
            List<LtxFileInfo> plan = files.listFiles(0, 0);
            ForwardingClient remote = new ForwardingClient(files); // no local paths: every file is downloaded
            try (Prefetcher prefetcher = new Prefetcher(remote, PARALLELISM, downloads)) {
                prefetcher.reset(plan);
                for (int i = 0; i < plan.size(); i++) {
                    Prefetcher.Fetched f = prefetcher.fetch(i);
                    assertThat(f.downloadedBy()).as("file %d is a download", i).isSameAs(prefetcher);
                    assertThat(Files.readAllBytes(f.path())).as("file %d as downloaded", i)
                            .isEqualTo(Files.readAllBytes(replica.resolve("ltx/0/" + plan.get(i).fileName())));
                    f.release();
                }
                try (Stream<Path> made = Files.list(downloads)) {
                    List<Path> left = made.toList();
                    // Downloads run at most PARALLELISM ahead of the file in hand: with reuse, that
                    // many files and the one being read; without it, one a planned file.
                    assertThat(left).as("files made for %d downloads", plan.size()).hasSizeBetween(1, PARALLELISM + 1);
                    for (Path p : left) {
                        assertThat(Files.size(p)).as("%s once released", p.getFileName()).isZero();
                    }
                }

                prefetcher.reset(plan.reversed()); // a second plan reuses the same files
                for (int i = 0; i < plan.size(); i++) {
                    try (InputStream in = prefetcher.open(i)) {
                        assertThat(in.readAllBytes()).as("file %d of the second plan", i)
                                .isEqualTo(Files.readAllBytes(replica.resolve("ltx/0/" + plan.reversed().get(i).fileName())));
                    }
                }
                try (Stream<Path> made = Files.list(downloads)) {
                    assertThat(made.count()).as("files after a second plan").isLessThanOrEqualTo(PARALLELISM + 1);
                }
            }
            try (Stream<Path> left = Files.list(downloads)) {
                assertThat(left.toList()).as("files left after close").isEmpty();
            }
        }
    }

    @Test
    @Timeout(60)
    void aReplicasOwnFileIsNeverEmptiedOnRelease() throws Exception {
        Path replica = RestoreFailuresTest.replicate(dir, 2);
        try (FileReplicaClient files = new FileReplicaClient(replica);
                Prefetcher prefetcher = new Prefetcher(files, PARALLELISM, Files.createDirectories(dir.resolve("downloads")))) {
            List<LtxFileInfo> plan = files.listFiles(0, 0);
            prefetcher.reset(plan);
            Prefetcher.Fetched f = prefetcher.fetch(0);
            long size = Files.size(f.path());
            f.release();
            assertThat(f.downloadedBy()).as("a file replica's file is read in place").isNull();
            assertThat(Files.size(f.path())).as("the replica's file after release").isEqualTo(size).isPositive();
        }
    }
}
