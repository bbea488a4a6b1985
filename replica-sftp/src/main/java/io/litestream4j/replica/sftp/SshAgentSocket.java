package io.litestream4j.replica.sftp;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.agent.common.AbstractAgentProxy;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The SSH agent listening at {@code SSH_AUTH_SOCK} (OpenSSH's {@code ssh-agent}, a desktop's
 * keyring), spoken to over the JDK's own Unix domain sockets: MINA's Unix agent client needs
 * Tomcat's native library, this needs nothing. The agent lists its keys and signs the server's
 * challenge, so a key held by the agent never enters this process. One connection per login.
 */
final class SshAgentSocket extends AbstractAgentProxy {
    /** Far above any real answer (a key list, a signature); a longer length is a broken stream, not an allocation to make. */
    private static final int MAX_MESSAGE = 256 << 10;

    private final Path socket;
    private final SocketChannel channel;

    SshAgentSocket(Path socket) throws IOException {
        super(null); // no agent forwarding, so no executor
        this.socket = socket;
        try {
            this.channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new IOException("cannot connect to the ssh agent at %s (SSH_AUTH_SOCK): %s".formatted(socket, e.getMessage()), e);
        }
    }

    /** Sends one framed request (a uint32 length, then the message) and reads the agent's framed answer. */
    @Override
    protected synchronized Buffer request(Buffer buffer) throws IOException {
        int end = buffer.wpos();
        buffer.wpos(0);
        buffer.putUInt(end - 4L); // the frame's length, as prepare() writes it; harmless to write again
        buffer.wpos(end);
        ByteBuffer out = ByteBuffer.wrap(buffer.array(), buffer.rpos(), buffer.available());
        while (out.hasRemaining()) {
            channel.write(out);
        }
        int length = read(4).getInt();
        if (length <= 0 || length > MAX_MESSAGE) {
            throw new IOException("ssh agent at %s: answer of %d bytes: want 1 to %d".formatted(socket, length, MAX_MESSAGE));
        }
        return new ByteArrayBuffer(read(length).array());
    }

    private ByteBuffer read(int n) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(n);
        while (in.hasRemaining()) {
            if (channel.read(in) < 0) {
                throw new EOFException("ssh agent at %s closed the connection after %d of %d bytes".formatted(socket, in.position(), n));
            }
        }
        return in.flip();
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            super.close();
        } finally {
            channel.close();
        }
    }

    /** Agents for a client's logins: a new connection to {@code socket} for each; no forwarding, no server side. */
    static SshAgentFactory factory(Path socket) {
        return new SshAgentFactory() {
            @Override
            public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
                return List.of();
            }

            @Override
            public SshAgent createClient(Session session, FactoryManager manager) throws IOException {
                return new SshAgentSocket(socket);
            }

            @Override
            public SshAgentServer createServer(ConnectionService service) {
                throw new UnsupportedOperationException("agent forwarding is not offered");
            }
        };
    }
}
