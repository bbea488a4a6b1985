package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Failures on the way out are logged, never dropped. */
class SwallowedErrorsTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void aReplicaClientThatFailsToCloseIsLogged() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 10);
        ForwardingClient client = new ForwardingClient(new FileReplicaClient(dir.resolve("replica"))) {
            @Override
            public void close() throws IOException {
                throw new IOException("close: connection pool still busy");
            }
        };
        try (LogCapture log = new LogCapture(DatabaseReplicator.class.getName())) {
            DatabaseReplicator r = DatabaseReplicator.start(db, DatabaseOptions.defaults(),
                    List.of(new DatabaseReplicator.Destination(client, Duration.ZERO)), Clock.systemUTC());
            r.stop(Duration.ofSeconds(30));
            r.close();
            assertThat(log.messages()).anySatisfy(m -> assertThat(m).startsWith("WARNING").contains("closing replica " + client.location())
                    .contains("connection pool still busy"));
        }
    }
}
