package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Backends open a Litestream 0.3 file only under {@code generations/}, whatever path they are handed. */
class LegacyLayoutTest {
    @Test
    void onlyFilesUnderGenerationsAreOpened() throws Exception {
        assertThat(LegacyLayout.checkedPath("s3://b/p", "generations/0123456789abcdef/wal/00000000_00000000.wal.lz4"))
                .isEqualTo("generations/0123456789abcdef/wal/00000000_00000000.wal.lz4");
        for (String bad : new String[] {"ltx/0/x.ltx", "/generations/a", "generations/../ltx/0/x.ltx", "generations/a/../../secret", "generations//a",
                "generations/./a", "generations/a\\..\\b", "generations/"}) {
            assertThatThrownBy(() -> LegacyLayout.checkedPath("s3://b/p", bad)).as(bad).hasMessageContaining("s3://b/p").hasMessageContaining("not a file under generations/");
        }
    }
}
