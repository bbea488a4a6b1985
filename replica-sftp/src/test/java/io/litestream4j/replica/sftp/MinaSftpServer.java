package io.litestream4j.replica.sftp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * Apache MINA's SSH server in this JVM with its SFTP subsystem (SFTP v6), a second independent
 * implementation beside OpenSSH. Its files live under a folder of this machine that clients see
 * as {@code /}. It accepts {@link #USER} with {@link #PASSWORD} or with {@link #clientKey()}.
 */
public final class MinaSftpServer implements SftpTestServer {
    public static final String USER = "replicator";
    public static final String PASSWORD = "s3cret-sftp-password";

    private final SshServer server;
    private final Path dir;
    private final String hostKey;

    private MinaSftpServer(SshServer server, Path dir, String hostKey) {
        this.server = server;
        this.dir = dir;
        this.hostKey = hostKey;
    }

    /** Starts a server on a free loopback port serving the folder {@code dir}/data. */
    public static MinaSftpServer start(Path dir) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir.resolve("data"));
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(256);
        KeyPair host = ec.generateKeyPair();
        KeyPair client = ec.generateKeyPair();
        try (OutputStream out = Files.newOutputStream(dir.resolve("client_ecdsa"))) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(client, "litestream4j-test", null, out);
        }
        SshServer server = SshServer.setUpDefaultServer();
        server.setHost(InetAddress.getLoopbackAddress().getHostAddress());
        server.setPort(0);
        server.setKeyPairProvider(KeyPairProvider.wrap(host));
        server.setPasswordAuthenticator((user, password, session) -> USER.equals(user) && PASSWORD.equals(password));
        server.setPublickeyAuthenticator((user, key, session) -> USER.equals(user) && KeyUtils.compareKeys(key, client.getPublic()));
        server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
        server.setFileSystemFactory(new VirtualFileSystemFactory(dir.resolve("data").toAbsolutePath()));
        server.start();
        return new MinaSftpServer(server, dir, PublicKeyEntry.toString(host.getPublic()));
    }

    @Override
    public String name() {
        return "MINA";
    }

    @Override
    public int port() {
        return server.getPort();
    }

    @Override
    public String user() {
        return USER;
    }

    @Override
    public String hostKey() {
        return hostKey;
    }

    @Override
    public Path clientKey() {
        return dir.resolve("client_ecdsa");
    }

    @Override
    public String root() {
        return ""; // the virtual file system's root is the data folder
    }

    @Override
    public void close() {
        try {
            server.stop(true);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
