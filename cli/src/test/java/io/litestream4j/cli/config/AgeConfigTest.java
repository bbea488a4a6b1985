package io.litestream4j.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.AgeReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replica's {@code age} block as Litestream 0.3 wrote it. */
class AgeConfigTest {
    private static final String IDENTITY = "AGE-SECRET-KEY-1886DMXC2MGG85K979XAVLDGZH79MAMMRLD547QMRC7CFLCR2472SC5CYD8";
    private static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";

    @TempDir
    Path dir;

    private Config parse(String yaml) {
        return ConfigLoader.parse(dir.resolve("litestream.yml"), yaml, Map.of("AGE_IDENTITY", IDENTITY), true);
    }

    @Test
    void litestream03sAgeBlockWithAKeyFromTheEnvironmentEncryptsTheReplica() throws Exception {
        Config c = parse("""
                dbs:
                  - path: /var/lib/app/db.sqlite
                    replicas:
                      - url: file://%s/replica
                        age:
                          identities:
                            - $AGE_IDENTITY
                          recipients:
                            - %s
                """.formatted(dir, RECIPIENT));
        ReplicaConfig r = c.dbs().getFirst().replicas().getFirst();
        assertThat(r.age().identities()).containsExactly(IDENTITY);
        assertThat(r.age().recipients()).containsExactly(RECIPIENT);
        assertThat(r.toString()).doesNotContain(IDENTITY);
        assertThat(r.age().toString()).doesNotContain(IDENTITY);
        try (ReplicaClient client = r.open()) {
            assertThat(client).isInstanceOf(AgeReplicaClient.class);
        }
    }

    @Test
    void keysComeFromFiles() throws Exception {
        Files.writeString(dir.resolve("key.txt"), "# created: now\n# public key: " + RECIPIENT + "\n" + IDENTITY + "\n");
        Files.writeString(dir.resolve("recipients.txt"), RECIPIENT + "\n");
        Config c = parse("""
                dbs:
                  - path: /var/lib/app/db.sqlite
                    replica:
                      path: %s/replica
                      age:
                        identities-file: %s/key.txt
                        recipients-file: %s/recipients.txt
                """.formatted(dir, dir, dir));
        ReplicaConfig r = c.dbs().getFirst().replicas().getFirst();
        assertThat(r.age().identities()).containsExactly(IDENTITY);
        assertThat(r.age().recipients()).containsExactly(RECIPIENT);
    }

    @Test
    void recipientsWithoutIdentitiesMakeAWriteOnlyReplicaAsLitestream03Did() {
        Config c = parse("""
                dbs:
                  - path: /db
                    replica:
                      url: file:///backups/db
                      age:
                        recipients: [%s]
                """.formatted(RECIPIENT));
        ReplicaConfig r = c.dbs().getFirst().replicas().getFirst();
        assertThat(r.age().canWrite()).isTrue();
        assertThat(r.age().canRead()).as("write-only: the engine warns at start-up, restore fails naming the replica").isFalse();
    }

    @Test
    void badKeysAndUnknownKeysAreErrorsThatNeverQuoteASecret() {
        String broken = "AGE-SECRET-KEY-1NOTAKEY";
        assertThatThrownBy(() -> parse("""
                dbs:
                  - path: /db
                    replica:
                      url: file:///backups/db
                      age:
                        identities: [%s]
                        recipients: [%s]
                """.formatted(broken, RECIPIENT)).dbs().getFirst().replicas().getFirst().open())
                .hasMessageContaining("identity #1").satisfies(e -> assertThat(e.getMessage()).doesNotContain(broken));
        assertThatThrownBy(() -> parse("""
                dbs:
                  - path: /db
                    replica:
                      url: file:///backups/db
                      age:
                        identity: [%s]
                """.formatted(IDENTITY))).isInstanceOf(ConfigException.class).hasMessageContaining("unknown key")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(IDENTITY));
        assertThatThrownBy(() -> parse("""
                dbs:
                  - path: /db
                    replica:
                      url: file:///backups/db
                      age:
                        identities: [secret-value]
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("identity #1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-value"));
    }
}
