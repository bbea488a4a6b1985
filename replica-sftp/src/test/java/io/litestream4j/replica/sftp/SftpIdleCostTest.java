package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.IdleCostContract;
import io.litestream4j.core.replica.LoopbackServer;
import java.nio.file.Path;

/** An idle database sends nothing to OpenSSH's sshd: {@link IdleCostContract}. */
class SftpIdleCostTest extends IdleCostContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return SftpLoopback.start(dir);
    }
}
