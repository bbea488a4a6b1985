package io.litestream4j.replica.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Password logins and the factory's URL and config forms, against MINA's server (an ECDSA host key). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class MinaReplicaTest {
    private MinaSftpServer server;

    @BeforeAll
    void start() throws Exception {
        server = MinaSftpServer.start(Files.createTempDirectory("sftp-mina"));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String passwordUrl(String password, String sub) {
        return "sftp://%s:%s@127.0.0.1:%d/%s?host-key=%s".formatted(MinaSftpServer.USER, password, server.port(), sub,
                java.net.URLEncoder.encode(server.hostKey(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aPasswordInTheUrlLogsIn() throws Exception {
        try (ReplicaClient c = ReplicaClients.open(passwordUrl(MinaSftpServer.PASSWORD, "pw"))) {
            assertThat(c.listFiles(0, 0)).isEmpty();
            assertThat(c.type()).isEqualTo("sftp");
            assertThat(c.location()).isEqualTo("sftp://replicator@127.0.0.1:%d/pw".formatted(server.port())).doesNotContain(MinaSftpServer.PASSWORD);
        }
    }

    @Test
    void aWrongPasswordIsAnErrorThatNeverShowsIt() throws Exception {
        try (ReplicaClient c = ReplicaClients.open(passwordUrl("wrong-password-value", "pw"))) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class).hasMessageContaining("login as replicator failed")
                    .hasMessageContaining("with password").hasMessageNotContaining("wrong-password-value");
        }
    }

    @Test
    void aConfigSectionGivesTheSameReplicaAsTheUrl() throws Exception {
        var factory = ReplicaClients.factory("sftp://x@y/z");
        Map<String, String> config = Map.of("host", "127.0.0.1:" + server.port(), "user", MinaSftpServer.USER, "password", MinaSftpServer.PASSWORD,
                "path", "/cfg", "host-key", server.hostKey());
        try (ReplicaClient c = factory.create("sftp", null, config)) {
            assertThat(c.listFiles(0, 0)).isEmpty();
            assertThat(c.location()).isEqualTo("sftp://replicator@127.0.0.1:%d/cfg".formatted(server.port()));
        }
        Map<String, String> keyLogin = Map.of("host", "127.0.0.1", "port", "" + server.port(), "user", MinaSftpServer.USER, "key-path",
                server.clientKey().toString(), "path", "keyed", "host-key", server.hostKey());
        try (ReplicaClient c = factory.create("sftp", null, keyLogin)) {
            assertThat(c.listFiles(0, 0)).isEmpty();
            assertThat(c.location()).as("a relative path is under the login folder").endsWith("/~/keyed");
        }
    }

    @Test
    void badSettingsAreErrorsNamingTheKeyNeverTheSecret() throws Exception {
        var factory = ReplicaClients.factory("sftp://x@y/z");
        assertThatThrownBy(() -> factory.create("sftp", null, Map.of("user", "u", "password", "hidden-pw-1"))).hasMessageContaining("want a host")
                .hasMessageNotContaining("hidden-pw-1");
        assertThatThrownBy(() -> ReplicaClients.open("sftp://127.0.0.1/x")).hasMessageContaining("want a user");
        assertThatThrownBy(() -> ReplicaClients.open("sftp://u:hidden-pw-2@127.0.0.1/x?host-key=ssh-ed25519%20garbage"))
                .hasMessageContaining("host-key").hasMessageNotContaining("hidden-pw-2");
        assertThatThrownBy(() -> ReplicaClients.open("sftp://u:hidden-pw-3@127.0.0.1/x?host-key=" + java.net.URLEncoder.encode(server.hostKey(),
                java.nio.charset.StandardCharsets.UTF_8) + "&insecure-skip-host-key-check=true")).hasMessageContaining("not both")
                .hasMessageNotContaining("hidden-pw-3");
        assertThatThrownBy(() -> factory.create("sftp", java.net.URI.create("sftp://u@h/x"), Map.of("host", "h2"))).hasMessageContaining("not both");
        Path missingKey = Path.of("/nonexistent/id_ed25519");
        try (ReplicaClient c = ReplicaClients.open("sftp://%s@127.0.0.1:%d/x?key-path=%s&host-key=%s".formatted(MinaSftpServer.USER, server.port(),
                missingKey, java.net.URLEncoder.encode(server.hostKey(), java.nio.charset.StandardCharsets.UTF_8)))) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("key-path " + missingKey + ": no such file");
        }
    }
}
