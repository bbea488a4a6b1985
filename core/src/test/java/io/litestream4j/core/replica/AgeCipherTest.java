package io.litestream4j.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import io.litestream4j.ltx.TxidRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120) // the age CLI runs are a few milliseconds; this ends a hang on a loaded machine
class AgeCipherTest {
    private static final AgeKeys KEYS = new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of(AgeTestKeys.RECIPIENT));
    private static final int[] SIZES = {0, 1, 100, 65535, 65536, 65537, 2 * 65536, 300_001};

    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void roundTripsEverySizeAroundChunkEdgesAndPredictsTheCiphertextSize() throws Exception {
        AgeCipher c = new AgeCipher(KEYS);
        for (int size : SIZES) {
            byte[] plain = random(size, size);
            byte[] enc = c.encrypt(new ByteArrayInputStream(plain), "f").readAllBytes();
            assertThat(enc.length).as("ciphertext size of %d bytes", size).isEqualTo(c.ciphertextSize(size));
            assertThat(c.plaintextSize(enc.length)).as("plaintext size of %d bytes", size).isEqualTo(size);
            assertThat(AgeCipher.isAgeFile(enc)).isTrue();
            assertThat(c.decrypt(new ByteArrayInputStream(enc), "f").readAllBytes()).isEqualTo(plain);
        }
    }

    @Test
    void twoRecipientsEitherIdentityDecrypts() throws Exception {
        AgeCipher both = new AgeCipher(new AgeKeys(List.of(), List.of(AgeTestKeys.RECIPIENT, AgeTestKeys.OTHER_RECIPIENT)));
        byte[] plain = random(70_000, 7);
        byte[] enc = both.encrypt(new ByteArrayInputStream(plain), "f").readAllBytes();
        assertThat(enc.length).isEqualTo(both.ciphertextSize(plain.length));
        AgeCipher other = new AgeCipher(new AgeKeys(List.of(AgeTestKeys.OTHER_IDENTITY), List.of()));
        assertThat(other.decrypt(new ByteArrayInputStream(enc), "f").readAllBytes()).isEqualTo(plain);
    }

    @Test
    void aWrongKeyAPlaintextFileAndADamagedFileAreErrorsNamingTheFile() throws Exception {
        byte[] enc = new AgeCipher(KEYS).encrypt(new ByteArrayInputStream(random(1000, 1)), "f").readAllBytes();
        AgeCipher wrong = new AgeCipher(new AgeKeys(List.of(AgeTestKeys.OTHER_IDENTITY), List.of(AgeTestKeys.OTHER_RECIPIENT)));
        assertThatThrownBy(() -> wrong.decrypt(new ByteArrayInputStream(enc), "0/0000000000000001-0000000000000001.ltx").readAllBytes())
                .hasMessageContaining("0/0000000000000001-0000000000000001.ltx").hasMessageContaining("wrong key");
        byte[] ltx = "LTX1 and the rest of a plaintext file".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> new AgeCipher(KEYS).decrypt(new ByteArrayInputStream(ltx), "plain.ltx"))
                .hasMessageContaining("plain.ltx").hasMessageContaining("not an age-encrypted file (a plaintext LTX file)");
        byte[] damaged = enc.clone();
        damaged[damaged.length - 20] ^= 1;
        assertThatThrownBy(() -> new AgeCipher(KEYS).decrypt(new ByteArrayInputStream(damaged), "damaged.ltx").readAllBytes())
                .hasMessageContaining("damaged.ltx");
    }

    @Test
    void recipientsWithoutIdentitiesCannotDecryptAndIdentitiesWithoutRecipientsCannotEncrypt() {
        AgeCipher writeOnly = new AgeCipher(new AgeKeys(List.of(), List.of(AgeTestKeys.RECIPIENT)));
        assertThatThrownBy(() -> writeOnly.decrypt(InputStream.nullInputStream(), "x.ltx")).hasMessageContaining("x.ltx")
                .hasMessageContaining("recipients but no identities");
        AgeCipher readOnly = new AgeCipher(new AgeKeys(List.of(AgeTestKeys.IDENTITY), List.of()));
        assertThatThrownBy(() -> readOnly.encrypt(InputStream.nullInputStream(), "y.ltx")).hasMessageContaining("y.ltx")
                .hasMessageContaining("refusing to store the file unencrypted");
    }

    @Test
    void keysAreNeverPrintedAndBadKeysAreNamedByPosition() {
        assertThat(KEYS.toString()).doesNotContain(AgeTestKeys.IDENTITY).doesNotContain("AGE-SECRET-KEY");
        String broken = AgeTestKeys.IDENTITY.substring(0, AgeTestKeys.IDENTITY.length() - 3) + "qqq";
        assertThatThrownBy(() -> new AgeCipher(new AgeKeys(List.of(broken), List.of()))).hasMessageContaining("identity #1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(broken));
        assertThatThrownBy(() -> new AgeKeys(List.of("secret"), List.of())).hasMessageContaining("identity #1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    }

    @Test
    void keysAreReadFromFilesWithCommentsAsAgeKeygenWritesThem() throws Exception {
        Path ids = dir.resolve("key.txt");
        Files.writeString(ids, "# created: 2026-11-29T23:57:33Z\n# public key: " + AgeTestKeys.RECIPIENT + "\n" + AgeTestKeys.IDENTITY + "\n");
        Path recs = dir.resolve("recipients.txt");
        Files.writeString(recs, "\n" + AgeTestKeys.RECIPIENT + "\n");
        AgeKeys k = AgeKeys.of(List.of(), List.of(), ids, recs);
        assertThat(k.identities()).containsExactly(AgeTestKeys.IDENTITY);
        assertThat(k.recipients()).containsExactly(AgeTestKeys.RECIPIENT);
        assertThatThrownBy(() -> AgeKeys.of(List.of(), List.of(), dir.resolve("missing.txt"), null)).hasMessageContaining("missing.txt");
    }

    @Test
    void filesStoredByTheDecoratorAreCiphertextAndAPlaintextReplicaSaysSo() throws Exception {
        FileReplicaClient file = new FileReplicaClient(dir.resolve("replica"));
        AgeReplicaClient age = new AgeReplicaClient(file, KEYS);
        byte[] plain = random(5000, 3);
        plain[0] = 'L';
        plain[1] = 'T';
        plain[2] = 'X';
        plain[3] = '1';
        TxidRange r = new TxidRange(1, 1);
        age.write(0, r, new ByteArrayInputStream(plain), plain.length, Instant.now());
        byte[] stored;
        try (InputStream in = file.open(0, r)) {
            stored = in.readAllBytes();
        }
        assertThat(AgeCipher.isAgeFile(stored)).isTrue();
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("LTX1");
        // A plaintext file in the encrypted replica is an error naming it, never passed through.
        file.write(0, new TxidRange(2, 2), new ByteArrayInputStream(plain), plain.length, Instant.now());
        assertThatThrownBy(() -> age.open(0, new TxidRange(2, 2))).hasMessageContaining("0000000000000002-0000000000000002.ltx")
                .hasMessageContaining("not an age-encrypted file");
        // The encrypted file read without age: the LTX header parser names it as age-encrypted.
        assertThatThrownBy(() -> io.litestream4j.ltx.LtxHeader.parse("0/0000000000000001-0000000000000001.ltx", java.util.Arrays.copyOf(stored, 100), 0))
                .hasMessageContaining("0000000000000001-0000000000000001.ltx").hasMessageContaining("age-encrypted");
    }

    @Test
    void wrapKeepsTheLeaseCapabilityOnlyWhereTheBackendHasOneAndHidesTheCiphertextFiles() {
        ReplicaClient overFiles = AgeReplicaClient.wrap(new FileReplicaClient(dir.resolve("r")), KEYS);
        assertThat(overFiles.capability(LeaseStore.class)).isPresent();
        assertThat(overFiles.capability(LocalFiles.class)).as("files on disk are ciphertext: no reading around the decryption").isEmpty();
        assertThat(overFiles.capability(LegacyLayout.class)).containsSame((LegacyLayout) overFiles);
        ReplicaClient overMemory = AgeReplicaClient.wrap(new MemoryReplicaClient("memory://test"), KEYS);
        assertThat(overMemory).isInstanceOf(AgeReplicaClient.class);
        assertThat(overMemory.capability(LeaseStore.class)).isEmpty();
        ReplicaClient plain = new MemoryReplicaClient("memory://test");
        assertThat(AgeReplicaClient.wrap(plain, null)).isSameAs(plain);
    }

    /** Interop with the reference age tool (Debian package age, installed by .ci/run). */
    @Test
    void theReferenceAgeToolDecryptsOurFilesAndWeDecryptItsFiles() throws Exception {
        boolean present = Files.isExecutable(Path.of("/usr/bin/age"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(present).as("the age tool (/usr/bin/age, Debian package age) must be installed by .ci/run in CI").isTrue();
        }
        assumeTrue(present, "the age tool is not installed (apt-get install age): interop not checked");
        Path key = dir.resolve("key.txt");
        Files.writeString(key, AgeTestKeys.IDENTITY + "\n");
        AgeCipher c = new AgeCipher(KEYS);
        for (int size : SIZES) {
            byte[] plain = random(size, 100 + size);
            Path ours = dir.resolve("ours-" + size + ".age");
            Files.write(ours, c.encrypt(new ByteArrayInputStream(plain), "f").readAllBytes());
            Path out = dir.resolve("out-" + size);
            run("age", "-d", "-i", key.toString(), "-o", out.toString(), ours.toString());
            // age creates its output lazily: an empty plaintext leaves no file.
            assertThat(Files.exists(out) ? Files.readAllBytes(out) : new byte[0]).as("age -d of our %d-byte file", size).isEqualTo(plain);

            Path in = dir.resolve("in-" + size);
            Files.write(in, plain);
            Path theirs = dir.resolve("theirs-" + size + ".age");
            run("age", "-e", "-r", AgeTestKeys.RECIPIENT, "-o", theirs.toString(), in.toString());
            try (InputStream d = c.decrypt(Files.newInputStream(theirs), theirs.toString())) {
                assertThat(d.readAllBytes()).as("our decryption of age -e's %d-byte file", size).isEqualTo(plain);
            }
            assertThat(c.plaintextSize(Files.size(theirs))).as("plaintext size of age -e's %d-byte file", size).isEqualTo(size);
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": still running after 60 s");
        }
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), output).isZero();
    }
}
