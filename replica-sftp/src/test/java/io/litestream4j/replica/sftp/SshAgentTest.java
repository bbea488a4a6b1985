package io.litestream4j.replica.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SSH agent authentication against OpenSSH's sshd: a real {@code ssh-agent} started by the test
 * holds the client key ({@code ssh-add}), and a replica with neither {@code key-path} nor a
 * password logs in through it ({@code SSH_AUTH_SOCK}); an agent that holds no accepted key is a
 * login failure that names the agent.
 */
@Timeout(120) // seconds normally; it ends a hang, not a slow run
class SshAgentTest {
    @TempDir
    Path dir;

    /** {@code ssh-agent -D} on a socket in {@code dir}, stopped on close. */
    private record Agent(Process process, Path socket) implements AutoCloseable {
        static Agent start(Path dir) throws Exception {
            if (!Files.isExecutable(Path.of("/usr/bin/ssh-agent"))) {
                throw io.litestream4j.core.replica.ServerProcess.missing("ssh-agent", "apt-get install openssh-client");
            }
            Path socket = dir.resolve("agent.sock");
            Process p = new ProcessBuilder("/usr/bin/ssh-agent", "-D", "-a", socket.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(socket)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("ssh-agent did not create " + socket);
                }
                Thread.sleep(20);
            }
            return new Agent(p, socket);
        }

        void add(Path key) throws Exception {
            ProcessBuilder b = new ProcessBuilder("/usr/bin/ssh-add", key.toString()).redirectErrorStream(true);
            b.environment().put("SSH_AUTH_SOCK", socket.toString());
            Process p = b.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("ssh-add: %s", out).isTrue();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static SftpSettings viaAgent(SftpSettings s, Path socket) {
        return new SftpSettings(s.host(), s.port(), s.user(), null, null, null, s.hostKey(), s.knownHosts(), false, s.path(), s.timeout(), true,
                socket);
    }

    @Test
    void theAgentsKeyLogsInWithoutKeyPathOrPassword() throws Exception {
        try (OpenSshServer server = OpenSshServer.start(dir.resolve("sshd")); Agent agent = Agent.start(dir)) {
            agent.add(server.clientKey());
            byte[] data = "whole ltx file".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (ReplicaClient c = new SftpReplicaClient(viaAgent(server.settings("agent"), agent.socket()))) {
                c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(data), data.length, Instant.parse("2026-11-30T04:00:00Z"));
                assertThat(c.listFiles(0, 0)).extracting(f -> f.range()).containsExactly(new TxidRange(1, 1));
                try (InputStream in = c.open(0, new TxidRange(1, 1))) {
                    assertThat(in.readAllBytes()).isEqualTo(data);
                }
            }
        }
    }

    @Test
    void anAgentWithoutAnAcceptedKeyIsALoginFailureNamingIt() throws Exception {
        try (OpenSshServer server = OpenSshServer.start(dir.resolve("sshd")); Agent agent = Agent.start(dir)) {
            Path other = dir.resolve("other_ed25519");
            OpenSshServer.keygen(other, "");
            agent.add(other);
            try (ReplicaClient c = new SftpReplicaClient(viaAgent(server.settings("agent"), agent.socket()))) {
                assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class).hasMessageContaining("login as " + server.user() + " failed")
                        .hasMessageContaining("ssh agent at " + agent.socket());
            }
        }
    }

    @Test
    void theAgentSocketComesFromSshAuthSock() throws Exception {
        SftpReplicaClientFactory factory = new SftpReplicaClientFactory();
        SftpSettings s = SftpSettings.from(io.litestream4j.core.replica.ReplicaSpec.of(java.net.URI.create("sftp://u@h/x"), factory),
                java.util.Map.of("SSH_AUTH_SOCK", "/run/user/1000/agent.sock"));
        assertThat(s.agentSocket()).isEqualTo(Path.of("/run/user/1000/agent.sock"));
        assertThat(SftpSettings.from(io.litestream4j.core.replica.ReplicaSpec.of(java.net.URI.create("sftp://u@h/x"), factory), java.util.Map.of())
                .agentSocket()).isNull();
    }
}
