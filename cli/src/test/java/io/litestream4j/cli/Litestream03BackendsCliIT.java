package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Restore;
import io.litestream4j.core.TestDb;
import io.litestream4j.replica.abs.Azurite;
import io.litestream4j.replica.gcs.GcsEmulator;
import io.litestream4j.replica.nats.NatsServer;
import io.litestream4j.replica.sftp.OpenSshServer;
import io.litestream4j.replica.webdav.DavServer;
import io.nats.client.Connection;
import io.nats.client.api.ObjectMeta;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Litestream 0.3 backups restored from every backend but file and S3 (those are in
 * {@link Litestream03InteropCliIT}), through the real {@code bin/litestream restore}, latest and
 * {@code -timestamp}, against the real servers the backends' own tests use. Where Litestream
 * v0.3.13 has the backend (Azure with an {@code endpoint} in its config, GCS through
 * {@code STORAGE_EMULATOR_HOST}, SFTP), it writes the replica during the test, a plain and an
 * age-encrypted one at once, and our restore reads the same config file. WebDAV and NATS did not
 * exist in 0.3: 0.3.13 writes to a folder, and the test copies that layout onto the server (the
 * files of the first burst, then a moment later the rest, so a restore by time has a past to find).
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class Litestream03BackendsCliIT {
    private static final String IDENTITY = "AGE-SECRET-KEY-1886DMXC2MGG85K979XAVLDGZH79MAMMRLD547QMRC7CFLCR2472SC5CYD8";
    private static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";
    private static final String AGE_BLOCK = """
                    age:
                      identities: [%s]
                      recipients: [%s]
            """.formatted(IDENTITY, RECIPIENT);

    @TempDir
    Path dir;

    /** A config with the database and two replicas, {@code plain} and {@code age}, each the {@code replica} lines (YAML under "- ") plus a path. */
    private Path config(Path db, String replica, String plainPath, String agePath) throws Exception {
        return CliProcess.writeConfig(dir, """
                dbs:
                  - path: %s
                    replicas:
                      - name: plain
                %s        path: %s
                      - name: age
                %s        path: %s
                %s""".formatted(db, replica, plainPath, replica, agePath, AGE_BLOCK));
    }

    /**
     * Restores the config's two replicas through our CLI: the plain one latest and by time, the
     * age one latest (the same planning, its files decrypted; a restore costs seconds of the suite).
     */
    private void assertBothRestore(Map<String, String> env, Path cfg, Path db, Litestream03Runs.Written w) throws Exception {
        Litestream03Runs.assertRestores(dir, env, w, "plain", List.of("-config", cfg.toString(), "-replica", "plain", db.toString()));
        Litestream03Runs.assertRestores(dir, env, w, "age", List.of("-config", cfg.toString(), "-replica", "age", db.toString()), false);
    }

    @Test
    void azureWrittenBy03WithAnEndpointInItsConfig() throws Exception {
        try (Azurite azurite = Azurite.start()) {
            azurite.container("v03");
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            Path cfg = config(db, """
                            type: abs
                            account-name: %s
                            account-key: %s
                            bucket: v03
                            endpoint: %s
                    """.formatted(Azurite.ACCOUNT, Azurite.KEY, azurite.endpoint()), "plain", "encrypted");
            Litestream03Runs.Written w = Litestream03Runs.replicate(cfg, db, Map.of(), () -> {});
            assertBothRestore(Map.of(), cfg, db, w);
        }
    }

    @Test
    void gcsWrittenBy03ThroughTheEmulatorHost() throws Exception {
        try (GcsEmulator emulator = GcsEmulator.start()) {
            Map<String, String> env = Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:" + emulator.port());
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            Path cfg = config(db, """
                            type: gcs
                            bucket: v03
                    """, "plain", "encrypted");
            Litestream03Runs.Written w = Litestream03Runs.replicate(cfg, db, env, () -> {});
            assertBothRestore(env, cfg, db, w);
        }
    }

    @Test
    void sftpWrittenBy03ToOpenSsh() throws Exception {
        try (OpenSshServer server = OpenSshServer.start(Files.createTempDirectory("sftp-v03"))) {
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            // 0.3 ignores host-key (it checked none); we verify it.
            Path cfg = config(db, """
                            type: sftp
                            host: 127.0.0.1:%d
                            user: %s
                            key-path: %s
                            host-key: "%s"
                    """.formatted(server.port(), server.user(), server.clientKey(), server.hostKey()), server.root() + "/plain",
                    server.root() + "/encrypted");
            Litestream03Runs.Written w = Litestream03Runs.replicate(cfg, db, Map.of(), () -> {});
            assertBothRestore(Map.of(), cfg, db, w);
        }
    }

    /** What 0.3.13 wrote to {@code folder}: the files of the first burst, then the rest, as {@link Copier} uploads them. */
    @FunctionalInterface
    private interface Copier {
        void copy(Path root, List<String> files) throws Exception;
    }

    /**
     * 0.3.13 replicates {@code db} to a folder; its files are copied onto a server by {@code copier}:
     * those of the first burst at the run's {@code between}, the rest after the run.
     */
    private Litestream03Runs.Written writtenThenCopied(Path db, Copier copier) throws Exception {
        Path folder = dir.resolve("v03-folder");
        Path cfg = CliProcess.writeConfig(dir, """
                dbs:
                  - path: %s
                    replicas:
                      - path: %s
                """.formatted(db, folder));
        Set<String> copied = new HashSet<>();
        Litestream03Runs.Written w = Litestream03Runs.replicate(cfg, db, Map.of(), () -> {
            try {
                List<String> first = files(folder);
                copier.copy(folder, first);
                copied.addAll(first);
            } catch (Exception e) {
                throw new AssertionError("copying the first burst's files", e);
            }
        });
        List<String> rest = new ArrayList<>(files(folder));
        rest.removeAll(copied);
        assertThat(rest).as("files of the second burst").isNotEmpty();
        copier.copy(folder, rest);
        return w;
    }

    private static List<String> files(Path root) throws Exception {
        try (var walk = Files.walk(root.resolve("generations"))) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void webdavHoldingA03LayoutCopiedOntoApache() throws Exception {
        try (DavServer server = DavServer.apache()) {
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            HttpClient http = HttpClient.newHttpClient();
            String auth = "Basic " + Base64.getEncoder().encodeToString((DavServer.USER + ":" + DavServer.PASSWORD).getBytes(StandardCharsets.UTF_8));
            Set<String> folders = new HashSet<>();
            Litestream03Runs.Written w = writtenThenCopied(db, (root, files) -> {
                for (String f : files) {
                    String[] parts = ("v03/" + f).split("/");
                    StringBuilder folder = new StringBuilder(server.httpUrl());
                    for (int i = 0; i < parts.length - 1; i++) {
                        folder.append('/').append(parts[i]);
                        if (folders.add(folder.toString())) {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(folder + "/")).header("Authorization", auth)
                                    .method("MKCOL", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                            assertThat(r.statusCode()).as("MKCOL %s: %s", folder, r.body()).isIn(201, 405);
                        }
                    }
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(folder + "/" + parts[parts.length - 1])).header("Authorization", auth)
                            .PUT(HttpRequest.BodyPublishers.ofFile(root.resolve(f))).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as("PUT %s: %s", f, r.body()).isIn(201, 204);
                }
            });
            Map<String, String> env = Map.of("WEBDAV_PASSWORD", DavServer.PASSWORD);
            Path cfg = CliProcess.writeConfig(dir, """
                    dbs:
                      - path: %s
                        replica:
                          type: webdav
                          webdav-url: %s
                          webdav-username: %s
                          webdav-password: $WEBDAV_PASSWORD
                          path: v03
                    """.formatted(db, server.httpUrl(), DavServer.USER));
            Litestream03Runs.assertRestores(dir, env, w, "webdav", List.of("-config", cfg.toString(), db.toString()));
        }
    }

    @Test
    void natsHoldingA03LayoutCopiedIntoTheBucketAlsoRestoredByTheLibrary() throws Exception {
        try (NatsServer server = NatsServer.start(NatsServer.Auth.PASSWORD)) {
            server.createBucket("v03");
            Path db = TestDb.create(dir, "app.db", 4096, 100);
            Connection admin = server.adminConnection();
            Litestream03Runs.Written w;
            try {
                var store = admin.objectStore("v03");
                w = writtenThenCopied(db, (root, files) -> {
                    for (String f : files) {
                        try (InputStream in = Files.newInputStream(root.resolve(f))) {
                            store.put(ObjectMeta.objectName(f), in);
                        }
                    }
                });
            } finally {
                admin.close();
            }
            Litestream03Runs.assertRestores(dir, Map.of(), w, "nats", List.of(server.url("v03")));
            // The library, by URL, no CLI: the same backup found and restored.
            Path viaLibrary = dir.resolve("library.db");
            Restore.Result r = Restore.from(server.url("v03")).integrityCheck(Restore.IntegrityCheck.FULL).into(viaLibrary);
            assertThat(r.files()).isPositive();
            assertThat(TestDb.digest(viaLibrary)).isEqualTo(w.latest());
            Restore.from(server.url("v03")).toTime(w.between()).into(dir.resolve("library-then.db"));
            assertThat(TestDb.digest(dir.resolve("library-then.db"))).isEqualTo(w.first());
        }
    }
}
