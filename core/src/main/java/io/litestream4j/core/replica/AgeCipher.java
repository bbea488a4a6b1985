package io.litestream4j.core.replica;

import com.exceptionfactory.jagged.RecipientStanzaReader;
import com.exceptionfactory.jagged.RecipientStanzaWriter;
import com.exceptionfactory.jagged.framework.stream.StandardDecryptingChannelFactory;
import com.exceptionfactory.jagged.framework.stream.StandardEncryptingChannelFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaReaderFactory;
import com.exceptionfactory.jagged.x25519.X25519RecipientStanzaWriterFactory;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * age encryption (the binary format of age-encryption.org/v1, X25519 recipients) of whole files,
 * streaming both ways, through the jagged library: no cryptography of our own.
 *
 * <pre>
 * age file:  header  "age-encryption.org/v1\n", one 98-byte stanza per recipient
 *                    ("-> X25519 &lt;43 b64&gt;\n&lt;43 b64&gt;\n"), "--- &lt;43 b64 MAC&gt;\n"
 *            nonce   16 bytes
 *            payload ChaCha20-Poly1305 chunks: 64 KiB of plaintext + 16-byte tag each; the last
 *                    one shorter (empty only when the whole plaintext is)
 * </pre>
 *
 * The header's length depends only on the number of recipients, so the ciphertext's size is known
 * from the plaintext's before the first byte is encrypted ({@link #ciphertextSize}), as
 * {@link ReplicaClient#write} needs. Thread-safe: every call builds its own cipher state.
 */
public final class AgeCipher {
    /** The first bytes of every age file in the binary format. */
    static final byte[] MAGIC = "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LTX_MAGIC = "LTX1".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 64 * 1024;
    private static final int TAG = 16;
    private static final int NONCE = 16;

    private final List<RecipientStanzaWriter> writers = new ArrayList<>();
    private final List<RecipientStanzaReader> readers = new ArrayList<>();
    private final long headerLength;

    public AgeCipher(AgeKeys keys) {
        for (int i = 0; i < keys.recipients().size(); i++) {
            try {
                writers.add(X25519RecipientStanzaWriterFactory.newRecipientStanzaWriter(keys.recipients().get(i)));
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new IllegalArgumentException("age: recipient #%d (%s) is not a valid X25519 recipient".formatted(i + 1, keys.recipients().get(i)));
            }
        }
        for (int i = 0; i < keys.identities().size(); i++) {
            try {
                readers.add(X25519RecipientStanzaReaderFactory.newRecipientStanzaReader(keys.identities().get(i)));
            } catch (GeneralSecurityException | RuntimeException e) {
                // The library's message may quote the key: never pass it on.
                throw new IllegalArgumentException("age: identity #%d is not a valid X25519 identity (AGE-SECRET-KEY-1...)".formatted(i + 1));
            }
        }
        headerLength = writers.isEmpty() ? -1 : measureHeader();
    }

    /** The header's length for our recipients: an empty file is header, nonce and one empty chunk. */
    private long measureHeader() {
        try {
            return encrypt(InputStream.nullInputStream(), "(header)").readAllBytes().length - NONCE - TAG;
        } catch (IOException e) {
            throw new IllegalStateException("age: cannot encrypt with the configured recipients: " + e.getMessage(), e);
        }
    }

    public boolean canEncrypt() {
        return !writers.isEmpty();
    }

    public boolean canDecrypt() {
        return !readers.isEmpty();
    }

    /** The size of the age file {@link #encrypt} makes of {@code plainSize} bytes. */
    public long ciphertextSize(long plainSize) {
        long chunks = Math.max(1, (plainSize + CHUNK - 1) / CHUNK);
        return headerLength + NONCE + plainSize + chunks * TAG;
    }

    /**
     * The plaintext size of an age file of {@code cipherSize} bytes whose header is as long as
     * ours (written with as many recipients), or -1 if no plaintext gives that size.
     */
    public long plaintextSize(long cipherSize) {
        long payload = cipherSize - headerLength - NONCE;
        if (payload < TAG) {
            return -1;
        }
        long chunks = (payload + CHUNK + TAG - 1) / (CHUNK + TAG);
        return payload - chunks * TAG;
    }

    /** The age file of {@code plain}, produced as it is read (nothing buffered beyond one chunk). */
    public InputStream encrypt(InputStream plain, String name) throws IOException {
        if (writers.isEmpty()) {
            throw new IOException("%s: age has identities but no recipients: refusing to store the file unencrypted".formatted(name));
        }
        return new EncryptingInput(plain, name);
    }

    /**
     * The plaintext of the age file {@code in}. A file that is not age-encrypted, or that none of
     * our identities opens, is an error naming {@code name}; so is a chunk failing its tag later.
     */
    public InputStream decrypt(InputStream in, String name) throws IOException {
        if (readers.isEmpty()) {
            in.close();
            throw new IOException(("%s: the replica's age block has recipients but no identities: its files cannot be decrypted "
                    + "(add the identities, AGE-SECRET-KEY-1..., to restore or compact)").formatted(name));
        }
        BufferedInputStream buffered = new BufferedInputStream(in, CHUNK);
        buffered.mark(MAGIC.length);
        byte[] head = buffered.readNBytes(MAGIC.length);
        buffered.reset();
        if (!Arrays.equals(head, MAGIC)) {
            buffered.close();
            throw new IOException("%s: not an age-encrypted file (%s), but the replica is configured with age".formatted(name,
                    startsWith(head, LTX_MAGIC) ? "a plaintext LTX file" : "no age header"));
        }
        try {
            return new NamedErrors(Channels.newInputStream(new StandardDecryptingChannelFactory().newDecryptingChannel(Channels.newChannel(buffered), readers)), name);
        } catch (GeneralSecurityException e) {
            buffered.close();
            throw new IOException("%s: none of the %d configured age identities decrypts it (wrong key?): %s".formatted(name, readers.size(), e.getMessage()), e);
        } catch (IOException e) {
            buffered.close();
            throw new IOException("%s: bad age header: %s".formatted(name, e.getMessage()), e);
        }
    }

    /** True if {@code head} (the first bytes of a file) is the start of an age file. */
    public static boolean isAgeFile(byte[] head) {
        return startsWith(head, MAGIC);
    }

    private static boolean startsWith(byte[] head, byte[] prefix) {
        return head.length >= prefix.length && Arrays.equals(head, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** Encrypts as it is read: plaintext is pulled a chunk at a time through jagged's channel. */
    private final class EncryptingInput extends InputStream {
        private final InputStream plain;
        private final String name;
        private final Sink sink = new Sink();
        private final WritableByteChannel channel;
        private final byte[] chunk = new byte[CHUNK];
        private boolean done;

        EncryptingInput(InputStream plain, String name) throws IOException {
            this.plain = plain;
            this.name = name;
            try {
                channel = new StandardEncryptingChannelFactory().newEncryptingChannel(sink, writers);
            } catch (GeneralSecurityException e) {
                throw new IOException("%s: age encryption failed: %s".formatted(name, e.getMessage()), e);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (sink.available() == 0) {
                if (done) {
                    return -1;
                }
                fill();
            }
            return sink.take(b, off, len);
        }

        private void fill() throws IOException {
            sink.clear();
            int n = plain.readNBytes(chunk, 0, CHUNK);
            if (n > 0) {
                channel.write(ByteBuffer.wrap(chunk, 0, n));
            }
            if (n < CHUNK) {
                done = true;
                channel.close(); // writes the last chunk
            }
        }

        @Override
        public void close() throws IOException {
            plain.close();
        }

        @Override
        public String toString() {
            return "age encryption of " + name;
        }
    }

    /** Where the channel writes ciphertext until the reader takes it. */
    private static final class Sink implements WritableByteChannel {
        private byte[] buf = new byte[CHUNK + 1024];
        private int start;
        private int end;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            if (end + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + n));
            }
            src.get(buf, end, n);
            end += n;
            return n;
        }

        int available() {
            return end - start;
        }

        int take(byte[] b, int off, int len) {
            int n = Math.min(len, available());
            System.arraycopy(buf, start, b, off, n);
            start += n;
            return n;
        }

        void clear() {
            start = 0;
            end = 0;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    /** Failures while decrypting (a chunk failing its tag, a cut file) name the file. */
    private static final class NamedErrors extends FilterInputStream {
        private final String name;

        NamedErrors(InputStream in, String name) {
            super(in);
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw named(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (IOException e) {
                throw named(e);
            }
        }

        private IOException named(IOException e) {
            return new IOException("%s: age decryption failed (damaged or cut file?): %s".formatted(name, e.getMessage()), e);
        }
    }
}
