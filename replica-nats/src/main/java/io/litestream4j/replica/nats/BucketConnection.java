package io.litestream4j.replica.nats;

import io.nats.client.AuthHandler;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreOptions;
import io.nats.client.Options;
import io.nats.client.support.NatsObjectStoreUtil;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The connection to one object store bucket, opened on first use and kept: jnats reconnects by
 * itself after a lost connection (up to {@code max-reconnects} times); once it gives up and the
 * connection is closed, the next use connects afresh. So a server that is down at start-up or
 * for longer than the reconnects last is an error for the operations meanwhile, never the end of
 * the replica.
 *
 * <p>Opening checks that the bucket exists (Litestream does not create it, nor do we: its
 * replicas, storage and limits are the operator's choice) and says how to create it if not.
 */
final class BucketConnection implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(BucketConnection.class);
    /** JetStream's error code for a stream (an object store bucket is a stream) that does not exist. */
    private static final int STREAM_NOT_FOUND = 10059;

    /** What the client needs of an open connection. */
    record Bucket(Connection connection, ObjectStore store, JetStreamManagement management, String streamName) {}

    private final NatsSettings settings;
    private Bucket open;
    private boolean closed;
    /** Whether a connection was ever made, so a lost one (not a failed first one) is a warning. */
    private volatile boolean everConnected;
    /** The writes to cut off when the connection is lost. */
    private final WritesInFlight writes = new WritesInFlight();

    BucketConnection(NatsSettings settings) {
        this.settings = settings;
    }

    /** The open bucket, connecting (again) if there is no live connection. */
    synchronized Bucket bucket() throws IOException {
        if (closed) {
            throw new IOException("nats replica %s: the client is closed".formatted(settings.describe()));
        }
        if (open != null && open.connection().getStatus() != Connection.Status.CLOSED) {
            return open;
        }
        if (open != null) {
            LOG.log(Level.WARNING, "nats replica {0}: the connection was closed after its reconnects ran out; connecting again", settings.describe());
            open = null;
        }
        open = connect();
        return open;
    }

    private Bucket connect() throws IOException {
        Options options = options();
        Connection connection;
        try {
            connection = Nats.connect(options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("nats replica %s: interrupted while connecting".formatted(settings.describe()));
        } catch (IOException | RuntimeException e) {
            throw new IOException("nats replica %s: cannot connect to %s (%s): %s".formatted(settings.describe(), settings.server(),
                    settings.authentication(), NatsErrors.describe(e)), e);
        }
        try {
            return openBucket(connection);
        } catch (IOException | RuntimeException e) {
            closeQuietly(connection);
            throw e;
        }
    }

    private Bucket openBucket(Connection connection) throws IOException {
        JetStreamOptions js = JetStreamOptions.builder().requestTimeout(settings.timeout()).build();
        try {
            JetStreamManagement management = connection.jetStreamManagement(js);
            ObjectStore store = connection.objectStore(settings.bucket(), ObjectStoreOptions.builder(js).build());
            store.getStatus();
            return new Bucket(connection, store, management, NatsObjectStoreUtil.toStreamName(settings.bucket()));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                throw new IOException(("nats replica %s: the object store bucket \"%s\" does not exist on %s; create it first, "
                        + "e.g. `nats object add %s` (Litestream does not create buckets)").formatted(settings.describe(), settings.bucket(),
                                settings.server(), settings.bucket()));
            }
            throw NatsErrors.io("open the object store bucket", settings, e);
        } catch (IOException | RuntimeException e) {
            throw new IOException("nats replica %s: cannot open the object store bucket (is JetStream enabled on %s?): %s".formatted(
                    settings.describe(), settings.server(), NatsErrors.describe(e)), e);
        }
    }

    private Options options() throws IOException {
        Options.Builder b = Options.builder()
                .server(settings.server())
                .maxReconnects(settings.maxReconnects())
                .reconnectWait(settings.reconnectWait())
                .connectionTimeout(settings.timeout())
                .dataPortType(FailFastDataPort.class.getName())
                .connectionName("litestream4j")
                .connectionListener(this::connectionEvent)
                .errorListener(new QuietErrors());
        if (settings.jwt() != null) {
            b.authHandler(Nats.staticCredentials(settings.jwt().toCharArray(), settings.seed().toCharArray()));
        } else if (settings.creds() != null) {
            b.authHandler(credentialsFile(Path.of(settings.creds())));
        } else if (settings.nkey() != null) {
            b.authHandler(Nats.staticCredentials(null, settings.nkey().toCharArray()));
        } else if (settings.username() != null && settings.password() != null) {
            b.userInfo(settings.username(), settings.password());
        } else if (settings.token() != null) {
            b.token(settings.token().toCharArray());
        }
        if (settings.secure()) {
            b.sslContext(TlsContexts.create(settings));
        }
        return b.build();
    }

    private AuthHandler credentialsFile(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("nats replica %s: creds file %s cannot be read".formatted(settings.describe(), file));
        }
        byte[] contents = Files.readAllBytes(file);
        if (!new String(contents, StandardCharsets.UTF_8).contains("NKEY SEED")) {
            throw new IOException("nats replica %s: creds file %s holds no NKEY SEED block: want a .creds file as nsc writes it".formatted(
                    settings.describe(), file));
        }
        return Nats.staticCredentials(contents);
    }

    /** The writes in flight on this connection ({@link WritesInFlight}). */
    WritesInFlight writes() {
        return writes;
    }

    private void connectionEvent(Connection connection, ConnectionListener.Events event) {
        switch (event) {
            case CONNECTED -> everConnected = true;
            // jnats reports a failed first connect as a disconnect too: that failure is the connect's error.
            case DISCONNECTED -> {
                LOG.log(everConnected ? Level.WARNING : Level.DEBUG, "nats replica {0}: disconnected; reconnecting", settings.describe());
                writes.cutOff();
            }
            case RECONNECTED -> LOG.log(Level.INFO, "nats replica {0}: reconnected", settings.describe());
            case CLOSED -> LOG.log(Level.DEBUG, "nats replica {0}: connection closed", settings.describe());
            default -> LOG.log(Level.DEBUG, "nats replica {0}: {1}", settings.describe(), event);
        }
    }

    /** jnats' default listener prints every slow consumer and heartbeat alarm; the operations report what matters. */
    private final class QuietErrors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            LOG.log(Level.WARNING, "nats replica {0}: server error: {1}", settings.describe(), error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.log(Level.DEBUG, "nats replica {0}: {1}", settings.describe(), String.valueOf(exp));
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (open != null) {
            closeQuietly(open.connection());
            open = null;
        }
    }
}
