package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaSpecTest {
    private static final Set<String> SECRETS = Set.of("password", "account-key");

    @Test
    void aUrlGivesUserPasswordHostPortPathAndQueryOptionsInAnySpelling() throws IOException {
        ReplicaSpec spec = new ReplicaSpec("SFTP", URI.create("sftp://alice:s3cret@example.com:2222/backups/db/?keyPath=/k&max_reconnects=5"), Map.of(), SECRETS);
        assertThat(spec.scheme()).isEqualTo("sftp");
        assertThat(spec.user()).isEqualTo("alice");
        assertThat(spec.password()).isEqualTo("s3cret");
        assertThat(spec.host()).isEqualTo("example.com");
        assertThat(spec.port(22)).isEqualTo(2222);
        assertThat(spec.path()).isEqualTo("backups/db");
        assertThat(spec.get("key-path")).isEqualTo("/k");
        assertThat(spec.integer("max-reconnects", 1)).isEqualTo(5);
        assertThat(spec.toString()).doesNotContain("s3cret").contains("alice:*****@example.com");
    }

    @Test
    void configKeysWinOverTheQueryAndStandInForTheUrl() throws IOException {
        ReplicaSpec spec = new ReplicaSpec("nats", null, Map.of("host", "h", "port", "4333", "user", "u", "password", "pw", "path", "/b/"), SECRETS);
        assertThat(spec.host()).isEqualTo("h");
        assertThat(spec.port(4222)).isEqualTo(4333);
        assertThat(spec.user()).isEqualTo("u");
        assertThat(spec.password()).isEqualTo("pw");
        assertThat(spec.path()).isEqualTo("b");
        assertThat(spec.toString()).doesNotContain("pw").contains("password=*****");
        assertThat(new ReplicaSpec("webdav", null, Map.of("webdav-url", "https://u:hunter2@h/dav"), SECRETS).toString())
                .doesNotContain("hunter2").contains("https://u:*****@h/dav");
        ReplicaSpec both = new ReplicaSpec("s3", URI.create("s3://b/p?region=a"), Map.of("region", "b"), SECRETS);
        assertThat(both.get("region")).isEqualTo("b");
    }

    @Test
    void badValuesAreErrorsNamingTheKeyButNeverASecret() {
        ReplicaSpec spec = new ReplicaSpec("abs", null, Map.of("port", "x", "account-key", "topsecret", "timeout", "5 parsecs"), SECRETS);
        assertThatThrownBy(() -> spec.port(1)).hasMessageContaining("port=x: want a whole number").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> spec.bool("account-key", false)).hasMessageContaining("account-key=*****").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> spec.duration("timeout", Duration.ZERO)).hasMessageContaining("timeout=5 parsecs: want a duration");
        assertThatThrownBy(() -> spec.require("account-name", "the storage account")).hasMessageContaining("want account-name (the storage account)");
    }

    @Test
    void durationsInGoSpelling() throws IOException {
        for (var c : List.of(Map.entry("500ms", Duration.ofMillis(500)), Map.entry("10s", Duration.ofSeconds(10)),
                Map.entry("1m30s", Duration.ofSeconds(90)), Map.entry("2h", Duration.ofHours(2)), Map.entry("1.5s", Duration.ofMillis(1500)))) {
            assertThat(new ReplicaSpec("x", null, Map.of("t", c.getKey()), Set.of()).duration("t", null)).as(c.getKey()).isEqualTo(c.getValue());
        }
    }

    @Test
    void redactMasksPasswordsAndSecretLookingQueryValues() {
        assertThat(ReplicaClients.redact("webdav://u:pw@h/p?x=1&sas-token=abc&sseCustomerKey=k&sig=zz"))
                .isEqualTo("webdav://u:*****@h/p?x=1&sas-token=*****&sseCustomerKey=*****&sig=*****");
        assertThat(ReplicaClients.redact("nats://h/b?creds=/f", Set.of("creds"))).isEqualTo("nats://h/b?creds=*****");
        assertThat(ReplicaClients.redact("sftp://u@h/p?host-key=ssh-ed25519%20AAAA&key-path=/k&key-passphrase=pp&account-key=ak"))
                .isEqualTo("sftp://u@h/p?host-key=ssh-ed25519%20AAAA&key-path=/k&key-passphrase=*****&account-key=*****");
    }

    @Test
    void twoFactoriesClaimingOneSchemeIsAnErrorNamingBoth() {
        ReplicaClientFactory a = new FileReplicaClientFactory();
        ReplicaClientFactory b = new ReplicaClientFactory() {
            @Override
            public Set<String> schemes() {
                return Set.of("file");
            }

            @Override
            public ReplicaClient create(URI url) {
                throw new UnsupportedOperationException();
            }
        };
        assertThatThrownBy(() -> ReplicaClients.byScheme(List.of(a, b))).hasMessageContaining("\"file\"")
                .hasMessageContaining(FileReplicaClientFactory.class.getName()).hasMessageContaining("ReplicaSpecTest");
        assertThat(ReplicaClients.byScheme(List.of(a, new FileReplicaClientFactory()))).containsOnlyKeys("file");
    }
}
