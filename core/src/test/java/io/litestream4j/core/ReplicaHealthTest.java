package io.litestream4j.core;

import io.litestream4j.core.replica.ReplicaHealth;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import org.junit.jupiter.api.Test;

class ReplicaHealthTest {
    @Test
    void exceptionsWithoutAMessageStillCountAsProblems() {
        ReplicaHealth health = new ReplicaHealth();
        health.report(ReplicaHealth.UPLOAD, new EOFException());
        assertThat(health.summary()).isEqualTo("upload: EOFException");
        health.report(ReplicaHealth.UPLOAD, new IOException(new ClosedChannelException()));
        assertThat(health.summary()).isEqualTo("upload: java.nio.channels.ClosedChannelException");
        health.report(ReplicaHealth.UPLOAD, (String) null);
        assertThat(health.summary()).isEqualTo("upload: failed (no message)");
    }

    @Test
    void aFileSystemErrorNamesThePathAndTheReason() {
        assertThat(ReplicaHealth.describe(new AccessDeniedException("/backup/ltx/0/x.ltx.tmp")))
                .isEqualTo("/backup/ltx/0/x.ltx.tmp: permission denied");
    }

    @Test
    void onePartsSuccessDoesNotHideAnothersFailure() {
        ReplicaHealth health = new ReplicaHealth();
        health.report("compact level 1", "failed: magic: want \"LTX1\"");
        health.report(ReplicaHealth.UPLOAD, "HTTP 500");
        health.clear("compact level 2");
        health.clear(ReplicaHealth.UPLOAD);
        assertThat(health.summary()).isEqualTo("compact level 1: failed: magic: want \"LTX1\"");
        health.clear("compact level 1");
        assertThat(health.summary()).isNull();
    }
}
