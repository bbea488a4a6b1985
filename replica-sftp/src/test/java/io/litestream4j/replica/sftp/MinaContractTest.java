package io.litestream4j.replica.sftp;

import java.nio.file.Path;

/** The replica contract on Apache MINA's SFTP server (SFTP v6, overwriting rename). */
class MinaContractTest extends SftpContractTest {
    @Override
    SftpTestServer startServer(Path dir) throws Exception {
        return MinaSftpServer.start(dir);
    }
}
