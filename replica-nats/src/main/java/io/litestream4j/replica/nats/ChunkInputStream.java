package io.litestream4j.replica.nats;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.ObjectInfo;
import io.nats.client.support.Digester;
import io.nats.client.support.NatsObjectStoreUtil;
import java.io.IOException;
import java.io.InputStream;
import java.security.NoSuchAlgorithmException;

/**
 * An object's bytes, fetched one chunk per request ({@code next message on the chunk subject}),
 * so memory holds one chunk (128 KiB as Litestream and jnats write them) however large the
 * object. The object store has no ranged reads: core's {@code ReplicaReads} reaches an offset by
 * reading and dropping what comes before it. Reading to the end checks the chunk count, the size and the SHA-256
 * digest the object's metadata records; a chunk missing meanwhile (the object was replaced or
 * deleted while being read) is an error, never a short read.
 */
final class ChunkInputStream extends InputStream {
    private final JetStreamManagement management;
    private final String streamName;
    private final String chunkSubject;
    private final ObjectInfo info;
    private final String name;
    private final Digester digester;
    private long nextSequence = 1;
    private long chunksRead;
    private long bytesRead;
    private byte[] chunk = new byte[0];
    private int position;
    private boolean closed;

    ChunkInputStream(JetStreamManagement management, String streamName, ObjectInfo info, String name) throws IOException {
        this.management = management;
        this.streamName = streamName;
        this.chunkSubject = NatsObjectStoreUtil.toChunkPrefix(info.getBucket()) + info.getNuid();
        this.info = info;
        this.name = name;
        try {
            this.digester = new Digester();
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("no SHA-256 in this JDK", e);
        }
    }

    @Override
    public int read() throws IOException {
        if (!fill()) {
            return -1;
        }
        return chunk[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, chunk.length - position);
        System.arraycopy(chunk, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        if (n <= 0 || !fill()) {
            return 0;
        }
        int k = (int) Math.min(n, chunk.length - position);
        position += k;
        return k;
    }

    @Override
    public int available() {
        return chunk.length - position;
    }

    /** Makes sure unread bytes are at hand; false at the (verified) end of the object. */
    private boolean fill() throws IOException {
        if (closed) {
            throw new IOException(name + ": read after close");
        }
        while (position == chunk.length) {
            if (chunksRead == info.getChunks()) {
                verifyEnd();
                return false;
            }
            MessageInfo message;
            try {
                message = management.getNextMessage(streamName, nextSequence, chunkSubject);
            } catch (JetStreamApiException e) {
                throw new IOException("%s: chunk %d of %d: %s (was the object replaced or deleted while being read?)".formatted(name,
                        chunksRead + 1, info.getChunks(), NatsErrors.describe(e)), e);
            }
            byte[] data = message.getData() == null ? new byte[0] : message.getData();
            nextSequence = message.getSeq() + 1;
            chunksRead++;
            bytesRead += data.length;
            digester.update(data);
            chunk = data;
            position = 0;
        }
        return true;
    }

    private void verifyEnd() throws IOException {
        if (bytesRead != info.getSize()) {
            throw new IOException("%s: the object's %d chunks hold %d bytes; its metadata says %d".formatted(name, chunksRead, bytesRead, info.getSize()));
        }
        String digest = info.getDigest();
        if (digest != null && !digester.matches(digest)) {
            throw new IOException("%s: the object's SHA-256 digest does not match its metadata (%s): its chunks are not the ones written".formatted(name,
                    digest));
        }
    }

    @Override
    public void close() {
        closed = true;
        chunk = new byte[0];
        position = 0;
    }
}
