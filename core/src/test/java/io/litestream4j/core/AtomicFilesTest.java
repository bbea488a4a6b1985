package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void aFullDiskNamesTheFileBeingWrittenAndLeavesNothingBehind() throws IOException {
        Path full = Path.of("/dev/full"); // every write fails with ENOSPC, as on a full disk
        assumeTrue(Files.isWritable(full), "/dev/full is not available");
        Path target = dir.resolve("0000000000000002-0000000000000002.ltx");
        Path temp = dir.resolve(target.getFileName() + AtomicFiles.TEMP_SUFFIX);
        Files.createSymbolicLink(temp, full);
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[1 << 20]);
            return null;
        })).isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(IoErrors.describe((IOException) e)).isEqualTo(temp + ": No space left on device"));
        assertThat(target).doesNotExist();
        assertThat(temp).doesNotExist();
    }

    @Test
    void writesTheWholeFileUnderItsName() throws IOException {
        Path target = dir.resolve("a.ltx");
        AtomicFiles.write(target, out -> {
            out.write(new byte[] {1, 2, 3});
            return null;
        });
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThat(dir.resolve("a.ltx" + AtomicFiles.TEMP_SUFFIX)).doesNotExist();
    }
}
