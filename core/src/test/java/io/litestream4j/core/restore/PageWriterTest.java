package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Long runs (written directly to the disk where the file system allows it) mixed with single
 * pages and length changes (written through the page cache) over the same ranges, on a real file:
 * the file must end up exactly as the writes, applied in order, describe.
 */
class PageWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536})
    void mixedRunsSinglePagesAndResizesLandInOrder(int pageSize) throws Exception {
        Random random = new Random(pageSize);
        int pages = Math.max(2_000_000 / pageSize, 64);
        byte[][] model = new byte[pages + 1][];
        int length = 0;
        Path file = dir.resolve("out.db");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                PageWriter writer = new PageWriter(file, ch, pageSize)) {
            for (int round = 0; round < 6; round++) {
                if (round % 2 == 0) {
                    // A snapshot-like run over everything: long consecutive runs.
                    for (int pgno = 1; pgno <= pages; pgno++) {
                        model[pgno] = page(random, pageSize);
                        writer.write(pgno, model[pgno]);
                    }
                    length = pages;
                } else {
                    // An L0-like file: a few scattered pages, increasing, then a new length.
                    int pgno = 0;
                    for (int i = 0; i < 20; i++) {
                        pgno += 1 + random.nextInt(Math.max(pages / 20, 1));
                        if (pgno > pages) {
                            break;
                        }
                        model[pgno] = page(random, pageSize);
                        writer.write(pgno, model[pgno]);
                    }
                    length = pages - random.nextInt(pages / 4);
                }
                writer.setPageCount(length);
            }
            writer.finish();
        }
        byte[] actual = Files.readAllBytes(file);
        assertThat(actual.length).isEqualTo(length * pageSize);
        for (int pgno = 1; pgno <= length; pgno++) {
            byte[] got = Arrays.copyOfRange(actual, (pgno - 1) * pageSize, pgno * pageSize);
            assertThat(got).as("page %d", pgno).isEqualTo(model[pgno]);
        }
    }

    private static byte[] page(Random random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }
}
