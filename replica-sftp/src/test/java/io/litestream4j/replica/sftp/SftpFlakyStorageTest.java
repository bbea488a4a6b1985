package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** Broken and stalled connections to OpenSSH's sshd under load: {@link FlakyStorageContract}. */
class SftpFlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return SftpLoopback.start(dir);
    }
}
