package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.Path;

/** OpenSSH's sshd, and key-authenticated clients of the folder {@code app.db} on it reaching it at any loopback port. */
record SftpLoopback(OpenSshServer server) implements LoopbackServer {
    static SftpLoopback start(Path dir) throws Exception {
        return new SftpLoopback(OpenSshServer.start(dir));
    }

    @Override
    public int port() {
        return server.port();
    }

    @Override
    public ReplicaClient client(int port) throws IOException {
        SftpSettings s = server.settings("app.db");
        return new SftpReplicaClient(new SftpSettings(s.host(), port, s.user(), s.password(), s.keyPath(), s.keyPassphrase(), s.hostKey(),
                s.knownHosts(), s.skipHostKeyCheck(), s.path(), s.timeout(), s.concurrentWrites(), s.agentSocket()));
    }

    @Override
    public void close() {
        server.close();
    }
}
