package io.litestream4j.replica.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What SFTP adds to the contract, against OpenSSH's sshd: Litestream's layout and timestamps on
 * the server's disk, exact times from LTX headers, host-key checking, key files with and without
 * a passphrase, and reconnecting after the server went away.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class OpenSshReplicaTest {
    private static final Instant AT = Instant.parse("2026-11-29T10:00:07.456Z");
    private Path dir;
    private OpenSshServer server;
    private int replicas;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("sftp-openssh");
        server = OpenSshServer.start(dir);
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String fresh() {
        return "r" + (replicas++);
    }

    /** An LTX header for {@code range} written {@code at}, followed by some page bytes. */
    private static byte[] ltxFile(TxidRange range, Instant at) {
        byte[] header = LtxHeader.of(4096, 1, range.min(), range.max(), at.toEpochMilli(), 0).toBytes();
        byte[] out = new byte[header.length + 5000];
        new Random(range.max()).nextBytes(out);
        System.arraycopy(header, 0, out, 0, header.length);
        return out;
    }

    @Test
    void filesLandWhereLitestreamPutsThemWithTheHeaderTimeAsTheirModificationTime() throws Exception {
        String sub = fresh();
        byte[] data = ltxFile(new TxidRange(1, 2), AT);
        try (ReplicaClient c = new SftpReplicaClient(server.settings(sub))) {
            c.write(3, new TxidRange(1, 2), new ByteArrayInputStream(data), data.length, AT);
        }
        Path file = server.rootDir().resolve(sub).resolve("ltx/3/0000000000000001-0000000000000002.ltx");
        BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class); // before reading it changes the access time
        assertThat(Files.readAllBytes(file)).isEqualTo(data);
        assertThat(attrs.lastModifiedTime().toInstant()).as("SFTP v3 sets whole seconds").isEqualTo(Instant.parse("2026-11-29T10:00:07Z"));
        assertThat(attrs.lastAccessTime().toInstant()).isEqualTo(Instant.parse("2026-11-29T10:00:07Z"));
        try (var left = Files.list(file.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly(file.getFileName().toString());
        }
    }

    @Test
    void theExactListingReadsMillisecondsFromTheLtxHeader() throws Exception {
        try (ReplicaClient c = new SftpReplicaClient(server.settings(fresh()))) {
            for (int i = 1; i <= 20; i++) {
                Instant at = AT.plusMillis(i * 37L);
                byte[] data = ltxFile(new TxidRange(i, i), at);
                c.write(0, new TxidRange(i, i), new ByteArrayInputStream(data), data.length, at);
            }
            var listed = c.listFiles(0, 0);
            var exact = io.litestream4j.core.replica.ExactListings.list(c, 0, 0);
            assertThat(exact).extracting(LtxFileInfo::range).isEqualTo(listed.stream().map(LtxFileInfo::range).toList());
            for (int i = 1; i <= 20; i++) {
                Instant at = AT.plusMillis(i * 37L);
                assertThat(listed.get(i - 1).createdAt()).as("listing: the file's modification time").isEqualTo(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                assertThat(exact.get(i - 1).createdAt()).as("exact: the header's time").isEqualTo(at);
            }
        }
    }

    @Test
    void aFileWithoutHeaderIsAnErrorNamingItAndTemporaryFilesAreNotListed() throws Exception {
        String sub = fresh();
        Path level = Files.createDirectories(server.rootDir().resolve(sub).resolve("ltx/0"));
        Path f = Files.write(level.resolve("0000000000000005-0000000000000005.ltx"), new byte[] {1, 2, 3});
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(AT));
        Files.write(level.resolve("not-an-ltx-file.txt"), new byte[] {1});
        // What a writer that crashed mid-upload leaves behind (Litestream's temporary name): never listed.
        Files.write(level.resolve("0000000000000006-0000000000000006.ltx.4242.1764410000000000000.tmp"), new byte[100]);
        try (ReplicaClient c = new SftpReplicaClient(server.settings(sub))) {
            assertThat(c.listFiles(0, 0)).singleElement().satisfies(i -> {
                assertThat(i.range()).isEqualTo(new TxidRange(5, 5));
                assertThat(i.createdAt()).isEqualTo(Instant.parse("2026-11-29T10:00:07Z"));
            });
            // Its time for a point-in-time restore cannot be known: an error naming the file, not a guess.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.litestream4j.core.replica.ExactListings.list(c, 0, 0))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("0000000000000005-0000000000000005.ltx");
        }
    }

    @Test
    void anUnknownHostKeyIsRefusedNamingTheHostAndFingerprint() throws Exception {
        SftpSettings s = server.settings(fresh());
        SftpSettings noKey = new SftpSettings(s.host(), s.port(), s.user(), null, s.keyPath(), null, null, dir.resolve("empty_known_hosts"), false,
                s.path(), s.timeout(), true, null);
        try (ReplicaClient c = new SftpReplicaClient(noKey)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("[127.0.0.1]:" + server.port())
                    .hasMessageContaining("ssh-ed25519 SHA256:")
                    .hasMessageContaining("no host-key is set")
                    .hasMessageContaining(SftpSettings.SKIP_HOST_KEY_CHECK)
                    .hasMessageContaining(server.hostKey().split(" ")[1]);
        }
        Path other = Files.createTempDirectory(dir, "other").resolve("other_ed25519");
        OpenSshServer.keygen(other, "");
        String otherKey = Files.readString(Path.of(other + ".pub")).strip();
        SftpSettings wrong = new SftpSettings(s.host(), s.port(), s.user(), null, s.keyPath(), null, otherKey, s.knownHosts(), false, s.path(),
                s.timeout(), true, null);
        try (ReplicaClient c = new SftpReplicaClient(wrong)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class).hasMessageContaining("does not match host-key")
                    .hasMessageContaining("ssh-ed25519 SHA256:");
        }
    }

    @Test
    void knownHostsIsConsultedWhenNoHostKeyIsSet() throws Exception {
        SftpSettings s = server.settings(fresh());
        Path knownHosts = Files.writeString(dir.resolve("known_hosts_" + replicas), "# test\n[127.0.0.1]:%d %s\n".formatted(server.port(), server.hostKey()));
        SftpSettings viaKnownHosts = new SftpSettings(s.host(), s.port(), s.user(), null, s.keyPath(), null, null, knownHosts, false, s.path(),
                s.timeout(), true, null);
        try (ReplicaClient c = new SftpReplicaClient(viaKnownHosts)) {
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
        // The same key listed for another port is not this server's.
        Files.writeString(knownHosts, "[127.0.0.1]:1 %s\n".formatted(server.hostKey()));
        try (ReplicaClient c = new SftpReplicaClient(viaKnownHosts)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("has no entry");
        }
    }

    @Test
    void skippingTheCheckTakesTheExplicitOption() throws Exception {
        String url = server.url(fresh()) + "?key-path=" + server.clientKey() + "&known-hosts-path=" + dir.resolve("none") + "&"
                + SftpSettings.SKIP_HOST_KEY_CHECK + "=true";
        try (ReplicaClient c = ReplicaClients.open(url)) {
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
    }

    @Test
    void aKeyWithAPassphraseNeedsIt() throws Exception {
        Path key = dir.resolve("locked_ed25519");
        OpenSshServer.keygen(key, "open sesame");
        Files.writeString(dir.resolve("authorized_keys"), "\n" + Files.readString(dir.resolve("locked_ed25519.pub")), java.nio.file.StandardOpenOption.APPEND);
        SftpSettings s = server.settings(fresh());
        SftpSettings withPassphrase = new SftpSettings(s.host(), s.port(), s.user(), null, key, "open sesame", s.hostKey(), s.knownHosts(), false,
                s.path(), s.timeout(), true, null);
        try (ReplicaClient c = new SftpReplicaClient(withPassphrase)) {
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
        SftpSettings without = new SftpSettings(s.host(), s.port(), s.user(), null, key, null, s.hostKey(), s.knownHosts(), false, s.path(),
                s.timeout(), true, null);
        try (ReplicaClient c = new SftpReplicaClient(without)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("key-path " + key).hasMessageContaining("key-passphrase");
        }
    }

    @Test
    void theConnectionIsReusedAndReopenedAfterTheServerComesBack() throws Exception {
        try (SftpReplicaClient c = new SftpReplicaClient(server.settings(fresh()))) {
            byte[] data = ltxFile(new TxidRange(1, 1), AT);
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(data), data.length, AT);
            server.stop();
            try {
                assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class).hasMessageContaining(c.location())
                        .hasMessageContaining("cannot connect to [127.0.0.1]:" + server.port());
            } finally {
                server.start();
            }
            assertThat(c.listFiles(0, 0)).hasSize(1);
            byte[] more = ltxFile(new TxidRange(2, 2), AT);
            c.write(0, new TxidRange(2, 2), new ByteArrayInputStream(more), more.length, AT);
            try (var in = c.open(0, new TxidRange(2, 2))) {
                assertThat(in.readAllBytes()).isEqualTo(more);
            }
        }
    }

    @Test
    void aWriteCutOffByTheServerLeavesNoTemporaryFileOnceTheServerIsBack() throws Exception {
        String sub = fresh();
        try (SftpReplicaClient c = new SftpReplicaClient(server.settings(sub))) {
            byte[] data = ltxFile(new TxidRange(1, 1), AT);
            InputStream serverGoesAway = new InputStream() {
                @Override
                public int read() throws IOException {
                    try {
                        server.stop(); // the temporary file is created, the server gone before a byte is sent
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new IOException("the server went away");
                }
            };
            assertThatThrownBy(() -> c.write(0, new TxidRange(1, 1), serverGoesAway, data.length, AT)).isInstanceOf(IOException.class);
            Path level = server.rootDir().resolve(sub).resolve("ltx/0");
            try (var left = Files.list(level)) {
                assertThat(left.map(p -> p.getFileName().toString())).as("the cut-off write's temporary file, not deletable then")
                        .singleElement().asString().endsWith(".tmp");
            }
            server.start();
            c.write(0, new TxidRange(1, 1), new ByteArrayInputStream(data), data.length, AT);
            try (var left = Files.list(level)) {
                assertThat(left.map(p -> p.getFileName().toString())).as("deleted after the next write that succeeded")
                        .containsExactly("0000000000000001-0000000000000001.ltx");
            }
        }
    }

    @Test
    void anUnreachableHostFailsWithinTheTimeout() throws Exception {
        SftpSettings s = server.settings(fresh());
        SftpSettings nowhere = new SftpSettings(s.host(), 1, s.user(), null, s.keyPath(), null, s.hostKey(), s.knownHosts(), false, s.path(),
                Duration.ofSeconds(5), true, null);
        try (ReplicaClient c = new SftpReplicaClient(nowhere)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).hasMessageContaining("cannot connect to [127.0.0.1]:1").hasMessageContaining("refused");
        }
    }
}
