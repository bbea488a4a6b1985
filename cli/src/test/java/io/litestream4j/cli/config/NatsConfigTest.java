package io.litestream4j.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.ReplicaClient;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A NATS replica section as Litestream 0.5's documentation and tests write it. */
class NatsConfigTest {
    @TempDir
    Path dir;

    private Config parse(String yaml) {
        return ConfigLoader.parse(dir.resolve("litestream.yml"), yaml, Map.of("NATS_TOKEN", "s3cr3t-token"), true);
    }

    @Test
    void litestreamsKeysIncludingTheRootCaListAndTopLevelDefaults() throws Exception {
        Config c = parse("""
                tls: true
                dbs:
                  - path: /tmp/a.db
                    replica:
                      type: nats
                      url: nats://127.0.0.1:4222/backups
                      root-cas: [ca.pem, other-ca.pem]
                      client-cert: client.pem
                      client-key: client-key.pem
                      max-reconnects: 5
                      reconnect-wait: 500ms
                      timeout: 3s
                  - path: /tmp/b.db
                    replica:
                      type: nats
                      bucket: jobs
                      token: ${NATS_TOKEN}
                      tls: false
                """);
        ReplicaConfig a = c.dbs().get(0).replicas().getFirst();
        assertThat(a.keys()).containsEntry("root-cas", "ca.pem,other-ca.pem").containsEntry("tls", "true").containsEntry("max-reconnects", "5");
        ReplicaConfig b = c.dbs().get(1).replicas().getFirst();
        assertThat(b.keys()).containsEntry("bucket", "jobs").containsEntry("tls", "false").containsEntry("token", "s3cr3t-token");
        try (ReplicaClient client = b.open()) {
            assertThat(client.type()).isEqualTo("nats");
            assertThat(client.location()).isEqualTo("nats://127.0.0.1:4222/jobs");
        }
        assertThat(b.toString()).doesNotContain("s3cr3t-token");
    }
}
