package io.litestream4j.replica.gcs;

import io.litestream4j.core.replica.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Cloud Storage emulator inside npm {@code firebase-tools} (15.34.2, installed globally by
 * {@code .ci/run}) on a loopback port, started from Node with firebase-tools' own modules by
 * {@code gcs-emulator.js} (its {@code emulators:start} needs the network). It keeps objects in
 * memory (and blobs under its own temporary folder); a {@link ServerProcess}, killed on {@link #close}. Missing
 * firebase-tools skips the test, or fails it under CI ({@code CI=true}).
 */
public final class GcsEmulator implements AutoCloseable {
    public static final String VERSION = "15.34.2";

    private final ServerProcess process;
    private final Path dir;
    private final int port;

    private GcsEmulator(ServerProcess process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts the emulator on a free loopback port and waits until it answers (seconds; many on a busy machine). */
    public static GcsEmulator start() throws IOException, InterruptedException {
        return start(freePort());
    }

    /** Starts the emulator on {@code port}. */
    public static GcsEmulator start(int port) throws IOException, InterruptedException {
        Path tools = firebaseTools();
        Path dir = Files.createTempDirectory("gcs-emulator");
        Path script = dir.resolve("gcs-emulator.js");
        try (InputStream in = GcsEmulator.class.getResourceAsStream("/gcs-emulator.js")) {
            if (in == null) {
                throw new IOException("gcs-emulator.js is not on the test class path");
            }
            Files.copy(in, script);
        }
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        // Loading firebase-tools takes Node 3 s on an idle machine, far more under heavy load.
        Duration patience = Duration.ofSeconds(120);
        long deadline = System.nanoTime() + patience.toNanos();
        ServerProcess process = ServerProcess.start("gcs emulator", List.of("node", script.toString(), tools.toString(), Integer.toString(port)),
                Map.of("TMPDIR", tmp.toString()), List.of(port), patience); // TMPDIR: its blob folder, apart from any other emulator's
        // The port accepts before the app is ready: the script says when it is.
        while (!process.output().contains("listening on " + port)) {
            if (System.nanoTime() > deadline) {
                String output = process.output();
                process.close();
                throw new IOException("gcs emulator on 127.0.0.1:%d did not say it was ready within %s:%n%s".formatted(port, patience, output));
            }
            Thread.sleep(100);
        }
        return new GcsEmulator(process, dir, port);
    }

    /** {@code $FIREBASE_TOOLS_DIR}, else firebase-tools in npm's global folder. */
    private static Path firebaseTools() throws IOException, InterruptedException {
        String configured = System.getenv("FIREBASE_TOOLS_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String root : List.of("/usr/lib/node_modules", "/usr/local/lib/node_modules")) {
            if (Files.isRegularFile(Path.of(root, "firebase-tools", "lib", "emulator", "storage", "index.js"))) {
                return Path.of(root, "firebase-tools");
            }
        }
        try {
            Process npm = new ProcessBuilder("npm", "root", "-g").redirectErrorStream(true).start();
            String root = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (npm.waitFor(30, TimeUnit.SECONDS) && Files.isRegularFile(Path.of(root, "firebase-tools", "lib", "emulator", "storage", "index.js"))) {
                return Path.of(root, "firebase-tools");
            }
        } catch (IOException e) {
            // no npm: reported below
        }
        throw ServerProcess.missing("firebase-tools", "npm install -g firebase-tools@" + VERSION + " (or set FIREBASE_TOOLS_DIR to its folder)");
    }

    /** A port free on 127.0.0.1 a moment ago. */
    public static int freePort() throws IOException {
        return ServerProcess.freePort();
    }

    public int port() {
        return port;
    }

    /** The emulator's base URL, what {@code STORAGE_EMULATOR_HOST} should hold: {@code http://127.0.0.1:PORT}. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Settings for a replica at {@code bucket}/{@code path} on this emulator. */
    public GcsSettings settings(String bucket, String path) {
        return GcsSettings.emulated(bucket, path, url());
    }

    /** A client of the emulator for setting up and inspecting what replicas stored (close it). */
    public com.google.cloud.storage.Storage admin() {
        return GcsReplicaClient.storage(settings("admin", ""), com.google.cloud.NoCredentials.getInstance());
    }

    /** A replica client on {@code bucket}/{@code path} of this emulator, as the CLI would make one (close it). */
    public io.litestream4j.core.replica.ReplicaClient client(String bucket, String path) {
        GcsSettings settings = settings(bucket, path);
        return new GcsReplicaClient(settings, GcsReplicaClient.storage(settings, com.google.cloud.NoCredentials.getInstance()));
    }

    /** Empties the emulator (every bucket and object). */
    public void reset() throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url().resolve("/internal/reset")).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("reset %s: HTTP %d %s".formatted(this, r.statusCode(), r.body()));
            }
        }
    }

    public String output() {
        return process.output();
    }

    /** Stops the emulator (it keeps objects in memory: they are gone). */
    public void stop() {
        process.close();
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // temp files; the OS cleans up
        }
    }

    @Override
    public String toString() {
        return "firebase-tools " + VERSION + " storage emulator on 127.0.0.1:" + port;
    }
}
