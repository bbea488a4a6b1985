package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaClientsTest {
    @Test
    void fileUrlsAndPlainPathsAreServedByTheFileFactory(@TempDir Path dir) throws IOException {
        assertThat(ReplicaClients.factory(dir.toUri().toString())).isInstanceOf(FileReplicaClientFactory.class);
        assertThat(ReplicaClients.factory("FILE://" + dir)).isInstanceOf(FileReplicaClientFactory.class);
        assertThat(ReplicaClients.factory(dir.toString())).isInstanceOf(FileReplicaClientFactory.class);
        try (ReplicaClient client = ReplicaClients.open(dir.toString())) {
            assertThat(client).isInstanceOf(FileReplicaClient.class);
            assertThat(client.location()).contains(dir.toString());
        }
        // The registry lists the same scheme: the shortcut serves what the ServiceLoader would.
        assertThat(ReplicaClients.factories().get("file")).isInstanceOf(FileReplicaClientFactory.class);
    }

    @Test
    void unknownSchemesAndMistypedFileUrlsAreStillErrors() {
        assertThatThrownBy(() -> ReplicaClients.factory("nosuch://bucket/db"))
                .isInstanceOf(IOException.class)
                .hasMessage("replica URL nosuch://bucket/db: unknown scheme \"nosuch\" (supported: %s)"
                        .formatted(String.join(", ", ReplicaClients.factories().keySet())))
                .hasMessageContaining("file");
        assertThatThrownBy(() -> ReplicaClients.parse("file:relative/db"))
                .isInstanceOf(IOException.class).hasMessage("invalid replica URL \"file:relative/db\": want file:///absolute/path or a plain path");
    }
}
