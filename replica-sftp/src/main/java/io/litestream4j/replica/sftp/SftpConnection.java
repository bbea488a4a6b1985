package io.litestream4j.replica.sftp;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

/**
 * One SSH connection with its SFTP channel, opened on first use, reused by every request, and
 * opened again when the server dropped it. Thread-safe: MINA's SFTP client matches answers to
 * requests by id, so threads share one channel.
 *
 * <p>An idle connection is closed after the request timeout (MINA's idle timeout, which is also
 * its wait for one answer): an idle database costs no traffic, and the next upload reconnects.
 */
final class SftpConnection implements AutoCloseable {
    /**
     * MINA logs every connection's set-up at INFO (the security provider, the I/O factory, the
     * server's extensions): routine here, so through java.util.logging (the CLI's SLF4J binding)
     * only its warnings show. Held in a field: java.util.logging keeps loggers weakly.
     */
    private static final java.util.logging.Logger MINA_LOG = java.util.logging.Logger.getLogger("org.apache.sshd");

    static {
        MINA_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final SftpSettings settings;
    private final HostKeyCheck hostKeyCheck;
    private final SshClient ssh;
    private ClientSession session;
    private SftpClient sftp;
    private boolean closed;

    SftpConnection(SftpSettings settings) throws IOException {
        this.settings = settings;
        this.hostKeyCheck = HostKeyCheck.of(settings);
        this.ssh = SshClient.setUpDefaultClient();
        ssh.setServerKeyVerifier(hostKeyCheck);
        // Only what the replica's settings say: no ~/.ssh/config, no default identities.
        ssh.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        ssh.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        // The agent at SSH_AUTH_SOCK, if any: its keys are offered after key-path's, as OpenSSH's client does.
        ssh.setAgentFactory(settings.agentSocket() == null ? null : SshAgentSocket.factory(settings.agentSocket()));
        ssh.setSignatureFactories(preferTrustedKeyTypes(ssh.getSignatureFactories(), hostKeyCheck));
        CoreModuleProperties.IDLE_TIMEOUT.set(ssh, settings.timeout());
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(ssh, settings.timeout());
        CoreModuleProperties.AUTH_TIMEOUT.set(ssh, settings.timeout());
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(ssh, settings.timeout().plusSeconds(5));
        ssh.start();
    }

    /**
     * The host-key algorithms the server can use, those of the trusted keys first: a server with
     * an RSA and an ed25519 key presents the one we can verify, as OpenSSH's client arranges it.
     */
    private static List<NamedFactory<Signature>> preferTrustedKeyTypes(List<NamedFactory<Signature>> all, HostKeyCheck check) {
        var preferred = check.preferredKeyTypes();
        List<NamedFactory<Signature>> out = new ArrayList<>();
        all.stream().filter(f -> preferred.contains(f.getName())).forEach(out::add);
        all.stream().filter(f -> !preferred.contains(f.getName())).forEach(out::add);
        return out;
    }

    /** The open SFTP channel, connecting (again) if there is none or the server closed it. */
    synchronized SftpClient sftp() throws IOException {
        if (closed) {
            throw new IOException("sftp replica %s: client is closed".formatted(settings.location()));
        }
        if (sftp != null && sftp.isOpen() && session.isOpen()) {
            return sftp;
        }
        dropQuietly();
        session = connect();
        try {
            sftp = SftpClientFactory.instance().createSftpClient(session);
        } catch (IOException e) {
            dropQuietly();
            throw new IOException("sftp replica %s: the server refused the SFTP subsystem: %s".formatted(settings.location(), e.getMessage()), e);
        }
        return sftp;
    }

    private ClientSession connect() throws IOException {
        ClientSession s;
        try {
            s = ssh.connect(settings.user(), settings.host(), settings.port()).verify(settings.timeout()).getSession();
        } catch (IOException e) {
            throw new IOException("sftp replica %s: cannot connect to %s: %s".formatted(settings.location(), settings.hostAndPort(), cause(e)), e);
        }
        try {
            if (settings.password() != null) {
                s.addPasswordIdentity(settings.password());
            }
            for (KeyPair k : privateKeys()) {
                s.addPublicKeyIdentity(k);
            }
        } catch (IOException e) {
            s.close(true);
            throw e;
        }
        try {
            s.auth().verify(settings.timeout());
            return s;
        } catch (IOException e) {
            s.close(true);
            String refusal = hostKeyCheck.refusal();
            if (refusal != null) {
                throw new IOException("sftp replica %s: %s".formatted(settings.location(), refusal), e);
            }
            throw new IOException("sftp replica %s: login as %s failed (%s): %s".formatted(settings.location(), settings.user(), methods(), cause(e)), e);
        }
    }

    private List<KeyPair> privateKeys() throws IOException {
        if (settings.keyPath() == null) {
            return List.of();
        }
        List<KeyPair> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(settings.keyPath())) {
            FilePasswordProvider passphrase = settings.keyPassphrase() == null ? FilePasswordProvider.EMPTY
                    : FilePasswordProvider.of(settings.keyPassphrase());
            SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(settings.keyPath().toString()), in, passphrase).forEach(out::add);
        } catch (NoSuchFileException e) {
            throw new IOException("sftp replica %s: key-path %s: no such file".formatted(settings.location(), settings.keyPath()), e);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IOException("sftp replica %s: key-path %s: cannot read the private key%s: %s".formatted(settings.location(), settings.keyPath(),
                    settings.keyPassphrase() == null ? " (is it protected by a passphrase? set key-passphrase)" : "", e.getMessage()), e);
        }
        if (out.isEmpty()) {
            throw new IOException("sftp replica %s: key-path %s holds no private key".formatted(settings.location(), settings.keyPath()));
        }
        return out;
    }

    private String methods() {
        List<String> m = new ArrayList<>();
        if (settings.password() != null) {
            m.add("password");
        }
        if (settings.keyPath() != null) {
            m.add("key " + settings.keyPath());
        }
        if (settings.agentSocket() != null) {
            m.add("the keys of the ssh agent at " + settings.agentSocket());
        }
        return m.isEmpty() ? "no password, key-path or SSH_AUTH_SOCK agent set" : "with " + String.join(" and ", m);
    }

    /** The innermost message, which names the real cause (connection refused, unknown host, ...). */
    private static String cause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof UnknownHostException) {
            return "unknown host " + t.getMessage();
        }
        if (t instanceof ConnectException && t.getMessage() != null) {
            return t.getMessage().toLowerCase(java.util.Locale.ROOT);
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /** True if the connection is up; false after the server dropped it (the next {@link #sftp()} reconnects). */
    synchronized boolean isOpen() {
        return sftp != null && sftp.isOpen() && session != null && session.isOpen();
    }

    private void dropQuietly() {
        try {
            if (sftp != null) {
                sftp.close();
            }
        } catch (IOException ignored) {
            // the connection is being replaced; its close cannot fail anything we still need
        }
        if (session != null) {
            session.close(true);
        }
        sftp = null;
        session = null;
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        dropQuietly();
        ssh.stop();
    }
}
