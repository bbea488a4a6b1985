package io.litestream4j.replica.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.replica.ReplicaSpec;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code gs://} URLs, config keys and the environment become settings, as Litestream 0.5 reads them. */
class GcsReplicaClientFactoryTest {
    private final Map<String, String> env = new HashMap<>();
    private final GcsReplicaClientFactory factory = new GcsReplicaClientFactory(env::get);

    @TempDir
    Path dir;

    private GcsSettings url(String url) throws Exception {
        return factory.settings(ReplicaSpec.of(URI.create(url), factory));
    }

    private GcsSettings config(Map<String, String> keys) throws Exception {
        return factory.settings(ReplicaSpec.of("gs", null, keys, factory));
    }

    @Test
    void theFactoryIsFoundByScheme() {
        assertThat(ReplicaClients.factories().get("gs")).isInstanceOf(GcsReplicaClientFactory.class);
        assertThat(ReplicaClients.factories().get("gcs")).as("Litestream 0.3's type: gcs").isInstanceOf(GcsReplicaClientFactory.class);
        assertThat(factory.configKeys()).containsExactlyInAnyOrder("bucket", "path");
        assertThat(factory.secretKeys()).isEmpty();
    }

    @Test
    void aUrlOrAConfigSectionGivesBucketAndPath() throws Exception {
        GcsSettings s = url("gs://my-bucket/some/db/");
        assertThat(s.bucket()).isEqualTo("my-bucket");
        assertThat(s.path()).isEqualTo("some/db");
        assertThat(s.emulator()).isNull();
        assertThat(s.describe()).isEqualTo("gs://my-bucket/some/db");
        assertThat(url("gs://my-bucket").path()).isEmpty();
        GcsSettings c = config(Map.of("bucket", "b1", "path", "/db.sqlite/"));
        assertThat(c).extracting(GcsSettings::bucket, GcsSettings::path).containsExactly("b1", "db.sqlite");
        assertThatThrownBy(() -> factory.settings(ReplicaSpec.of("gs", URI.create("gs://b/p"), Map.of("path", "q"), factory)))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> config(Map.of("path", "db"))).hasMessageContaining("want bucket");
        assertThatThrownBy(() -> url("gs:///path")).hasMessageContaining("want gs://BUCKET/PATH");
    }

    @Test
    void storageEmulatorHostIsHonouredInEitherSpelling() throws Exception {
        env.put("STORAGE_EMULATOR_HOST", "127.0.0.1:9199");
        assertThat(url("gs://b/p").emulator()).isEqualTo(URI.create("http://127.0.0.1:9199"));
        env.put("STORAGE_EMULATOR_HOST", "http://localhost:9199/");
        GcsSettings s = url("gs://b/p");
        assertThat(s.emulator()).isEqualTo(URI.create("http://localhost:9199"));
        assertThat(s.describe()).isEqualTo("gs://b/p (emulator http://localhost:9199)");
        env.put("STORAGE_EMULATOR_HOST", "http://:9199");
        assertThatThrownBy(() -> url("gs://b/p")).hasMessageContaining("STORAGE_EMULATOR_HOST=http://:9199: want host:port");
    }

    @Test
    void aMissingOrUnreadableCredentialsFileIsAnErrorNamingItAndNotItsContents() throws Exception {
        Path missing = dir.resolve("missing.json");
        env.put("GOOGLE_APPLICATION_CREDENTIALS", missing.toString());
        assertThatThrownBy(() -> factory.create(URI.create("gs://b/p"))).hasMessageStartingWith("gs replica gs://b/p: ")
                .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS names " + missing + ", which does not exist");
        Path garbage = Files.writeString(dir.resolve("key.json"), "{\"type\": \"service_account\", \"private_key\": \"TOPSECRETKEY\"}");
        env.put("GOOGLE_APPLICATION_CREDENTIALS", garbage.toString());
        assertThatThrownBy(() -> factory.create(URI.create("gs://b/p"))).hasMessageContaining("which is not a Google credentials file")
                .hasMessageNotContaining("TOPSECRETKEY").hasStackTraceContaining("gs replica").satisfies(e -> assertThat(e.getCause()).isNull());
        // The emulator needs no credentials: the variable is not read then.
        env.put("STORAGE_EMULATOR_HOST", "127.0.0.1:1");
        assertThat(url("gs://b/p").credentialsFile()).isNull();
    }
}
