package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The replica contract on a real nats-server that speaks TLS only, with a certificate from a CA
 * made for the run, and requires a token: the client is configured with Litestream's keys
 * {@code token}, {@code tls} and {@code root-cas}.
 */
class NatsTlsTokenContractTest extends NatsServerContract {
    @Override
    NatsServer startServer() throws Exception {
        return NatsServer.start(NatsServer.Auth.TOKEN, true);
    }

    private ReplicaClient open(String bucket, Map<String, String> keys) throws IOException {
        return new NatsReplicaClientFactory().create("nats", URI.create("nats://" + server.address() + "/" + bucket), keys);
    }

    @Override
    ReplicaClient open(String bucket) throws Exception {
        return open(bucket, Map.of("token", NatsServer.TOKEN, "tls", "true", "root-cas", server.caCertificate().toString()));
    }

    @Test
    void anUntrustedCertificateOrAWrongTokenIsAnErrorWithoutTheToken() throws Exception {
        String bucket = newBucket();
        try (ReplicaClient untrusting = open(bucket, Map.of("token", NatsServer.TOKEN, "tls", "true", "timeout", "5s"))) {
            assertThatThrownBy(() -> untrusting.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to nats://" + server.address())
                    .message().doesNotContain(NatsServer.TOKEN);
        }
        try (ReplicaClient wrong = open(bucket, Map.of("token", "wrong-token-value", "root-cas", server.caCertificate().toString(), "timeout", "5s"))) {
            assertThatThrownBy(() -> wrong.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("(token)")
                    .message().doesNotContain("wrong-token-value");
        }
        try (ReplicaClient missingCa = open(bucket, Map.of("root-cas", "/no/such/ca.pem"))) {
            assertThatThrownBy(() -> missingCa.listFiles(0, 0)).isInstanceOf(IOException.class).hasMessageContaining("root-cas /no/such/ca.pem");
        }
        assertThat(client.location()).doesNotContain(NatsServer.TOKEN);
    }
}
