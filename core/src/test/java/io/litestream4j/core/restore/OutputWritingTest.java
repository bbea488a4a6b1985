package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The size rules and the system properties that override them. */
class OutputWritingTest {
    @AfterEach
    void clearProperties() {
        System.clearProperty(OutputWriting.DIRECT_PROPERTY);
        System.clearProperty(OutputWriting.WRITEBACK_PROPERTY);
    }

    @Test
    void byDefaultThePageCacheAndEarlyWritebackFrom512MiB() {
        OutputWriting w = OutputWriting.fromSystemProperties();
        assertThat(w).isEqualTo(OutputWriting.DEFAULT);
        assertThat(w.direct(1L << 40)).isFalse();
        assertThat(w.writeback((512L << 20) - 1)).isFalse();
        assertThat(w.writeback(512L << 20)).isTrue();
    }

    @Test
    void thePropertiesSetTheThresholds() {
        System.setProperty(OutputWriting.DIRECT_PROPERTY, "1048576");
        System.setProperty(OutputWriting.WRITEBACK_PROPERTY, "-1");
        OutputWriting w = OutputWriting.fromSystemProperties();
        assertThat(w.direct(1048575)).isFalse();
        assertThat(w.direct(1048576)).isTrue();
        assertThat(w.writeback(1L << 40)).isFalse();
    }

    @Test
    void aValueThatIsNotBytesIsRefusedNotIgnored() {
        System.setProperty(OutputWriting.DIRECT_PROPERTY, "512MiB");
        assertThatThrownBy(OutputWriting::fromSystemProperties).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid -Dlitestream4j.restore.directMinBytes=512MiB: want a number of bytes, or -1 for never");
        System.setProperty(OutputWriting.DIRECT_PROPERTY, "-2");
        assertThatThrownBy(OutputWriting::fromSystemProperties).isInstanceOf(IllegalArgumentException.class);
    }
}
