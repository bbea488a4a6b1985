package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * {@code sftp://user[:password]@host[:port]/path}: a replica on an SFTP server. Config keys as
 * Litestream 0.5 spells them ({@code host}, {@code user}, {@code password}, {@code path},
 * {@code key-path}, {@code host-key}, {@code concurrent-writes}), plus ours: {@code key-passphrase},
 * {@code known-hosts-path}, {@code insecure-skip-host-key-check} and {@code timeout}. Each may also
 * be a URL query option.
 */
public final class SftpReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("sftp");
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("host", "user", "password", "path", "key-path", "host-key", "concurrent-writes", "key-passphrase", "known-hosts-path",
                SftpSettings.SKIP_HOST_KEY_CHECK, "timeout");
    }

    @Override
    public Set<String> secretKeys() {
        return Set.of("password", "key-passphrase");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(ReplicaSpec.of(url, this));
    }

    @Override
    public ReplicaClient create(ReplicaSpec spec) throws IOException {
        return new SftpReplicaClient(SftpSettings.from(spec));
    }
}
