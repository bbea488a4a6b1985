package io.litestream4j.replica.nats;

import io.nats.client.impl.SocketDataPortWithWriteTimeout;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * jnats' default socket (with its write timeout), but a connection attempt whose socket fails ends
 * at once. jnats sends {@code CONNECT} and a {@code PING}, then waits for the {@code PONG} until
 * the connection timeout ({@code timeout}, 10 s by default) even when the socket was reset under
 * it: while connecting, the reader's error is only noted for later (nats.java PR #522 describes
 * the same wait after a {@code -ERR}). Through a flaky network a reset in a reconnect's handshake
 * so cost 10 s more before the next attempt (NatsFlakyStorageTest: the replica caught up 11.4 s
 * after the network healed, the bar being 10 s), where Litestream's Go client fails the attempt
 * as soon as its read fails.
 *
 * <p>So a read or write that fails (or a read that meets the end of the stream) cancels the
 * connection's pending {@code PONG}s: the attempt fails with that, and jnats tries again after
 * {@code reconnect-wait}. Past the handshake a failed socket is a lost connection whose
 * {@code PONG}s could never come either; jnats cancels them itself a moment later when it closes
 * the socket. Not when jnats stops the reader or closes the socket itself: that end of the stream
 * is its own doing, not the network's.
 *
 * <p>jnats keeps the pending {@code PONG}s behind a protected method, reached here by reflection
 * (jnats is on the class path, or an automatic module: open either way). Should a later jnats
 * drop that method, attempts wait out the timeout again, as they did before, with a warning;
 * {@code FailFastDataPortTest} fails then.
 */
public final class FailFastDataPort extends SocketDataPortWithWriteTimeout {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(FailFastDataPort.class);
    private static final Method CANCEL_PONGS = pongCanceller();

    /** jnats stopped the reader or closed the socket: what fails from then on is not the network. */
    private volatile boolean endedByJnats;

    /** Whether this jnats lets a failed socket end the attempt at once. */
    static boolean failsFast() {
        return CANCEL_PONGS != null;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        int n;
        try {
            n = super.read(dst, off, len);
        } catch (IOException e) {
            socketFailed();
            throw e;
        }
        if (n < 0) {
            socketFailed();
        }
        return n;
    }

    @Override
    public void write(byte[] src, int toWrite) throws IOException {
        try {
            super.write(src, toWrite);
        } catch (IOException e) {
            socketFailed();
            throw e;
        }
    }

    @Override
    public void shutdownInput() throws IOException {
        endedByJnats = true;
        super.shutdownInput();
    }

    @Override
    public void close() throws IOException {
        endedByJnats = true;
        super.close();
    }

    private void socketFailed() {
        Object c = connection;
        if (endedByJnats || c == null || CANCEL_PONGS == null) {
            return;
        }
        try {
            CANCEL_PONGS.invoke(c);
        } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
            LOG.log(Level.DEBUG, "nats: cannot cancel the pending PONGs after a failed socket: {0}", String.valueOf(e));
        }
    }

    private static Method pongCanceller() {
        try {
            // NatsConnection is package-private: named only here, by reflection.
            Method m = Class.forName("io.nats.client.impl.NatsConnection").getDeclaredMethod("cleanUpPongQueue");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.log(Level.WARNING, "nats: this jnats has no NatsConnection.cleanUpPongQueue() to reach ({0}): a connection reset during "
                    + "a (re)connect's handshake waits out the `timeout` before the next attempt", String.valueOf(e));
            return null;
        }
    }
}
