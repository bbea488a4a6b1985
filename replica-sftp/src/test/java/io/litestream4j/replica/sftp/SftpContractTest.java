package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The replica contract against each SFTP server (a subclass per server), each test in a new folder. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
abstract class SftpContractTest extends ReplicaClientContract {
    private Path dir;
    private SftpTestServer server;
    private int replicas;

    abstract SftpTestServer startServer(Path dir) throws Exception;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("sftp-contract");
        server = startServer(dir);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    SftpTestServer server() {
        return server;
    }

    @Override
    protected ReplicaClient newClient() throws Exception {
        return new SftpReplicaClient(server.settings("db" + (replicas++) + "/nested"));
    }
}
