package io.litestream4j.replica.sftp;

import java.nio.file.Path;

/** An SFTP server on loopback that the tests started, and how to log in to it. */
public interface SftpTestServer extends AutoCloseable {
    /** A short name for messages ("OpenSSH", "MINA"). */
    String name();

    int port();

    String user();

    /** The server's host key in authorized_keys format ({@code ssh-ed25519 AAAA...}). */
    String hostKey();

    /** A private key file the server accepts for {@link #user()}. */
    Path clientKey();

    /** An absolute folder on the server that the user may write, empty when the server started. */
    String root();

    /** {@code sftp://user@127.0.0.1:port<root>/<sub>}, without credentials or options. */
    default String url(String sub) {
        return "sftp://%s@127.0.0.1:%d%s/%s".formatted(user(), port(), root(), sub);
    }

    /** Settings for a replica in {@code sub}, logging in with the client key and checking the host key. */
    default SftpSettings settings(String sub) {
        return new SftpSettings("127.0.0.1", port(), user(), null, clientKey(), null, hostKey(), Path.of("/nonexistent/known_hosts"), false,
                root() + "/" + sub, java.time.Duration.ofSeconds(30), true, null);
    }

    @Override
    void close();
}
