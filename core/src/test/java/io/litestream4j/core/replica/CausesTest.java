package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class CausesTest {
    @Test
    void findsACauseAndTellsTheWholeChainOnce() {
        Exception e = new RuntimeException("list failed\nat line 2", new IOException("list failed", new ConnectException("Connection refused")));
        assertThat(Causes.has(e, ConnectException.class)).isTrue();
        assertThat(Causes.has(e, IllegalStateException.class)).isFalse();
        assertThat(Causes.messages(e)).isEqualTo("list failed: Connection refused");
        assertThat(Causes.messages(new RuntimeException(new IllegalStateException()))).isEqualTo("java.lang.IllegalStateException");
    }
}
