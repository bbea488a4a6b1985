package io.litestream4j.replica.sftp;

import java.nio.file.Path;

/** The replica contract on OpenSSH's sshd (SFTP v3, posix-rename, fsync, whole-second times). */
class OpenSshContractTest extends SftpContractTest {
    @Override
    SftpTestServer startServer(Path dir) throws Exception {
        return OpenSshServer.start(dir);
    }
}
