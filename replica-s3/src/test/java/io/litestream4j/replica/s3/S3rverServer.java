package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * s3rver (npm {@code s3rver} 3.7.1, installed by {@code .ci/run}) on a loopback port: a Node
 * implementation that stores an upload's body exactly as it arrives, so an {@code aws-chunked}
 * body would be kept with its chunk framing. It checks signatures; its credentials are fixed.
 * Over HTTPS it uses a certificate made for the run with {@code openssl}.
 */
public final class S3rverServer implements S3Store {
    public static final String VERSION = "3.7.1";
    private static final String CREDENTIAL = "S3RVER";

    private final ServerProcess process;
    private final URI endpoint;
    private final Path dir;

    private S3rverServer(ServerProcess process, URI endpoint, Path dir) {
        this.process = process;
        this.endpoint = endpoint;
        this.dir = dir;
    }

    /** Starts s3rver over HTTP, or HTTPS with a self-signed certificate; skips the test (fails under CI) if it is not installed. */
    public static S3rverServer start(boolean https) throws IOException, InterruptedException {
        String binary = executable();
        Path dir = Files.createTempDirectory("s3rver");
        int port = ServerProcess.freePort();
        List<String> command = new ArrayList<>(List.of(binary, "-d", dir.resolve("data").toString(), "-a", "127.0.0.1", "-p",
                Integer.toString(port), "--silent"));
        if (https) {
            Path key = dir.resolve("key.pem");
            Path cert = dir.resolve("cert.pem");
            selfSignedCertificate(key, cert);
            command.addAll(List.of("--key", key.toString(), "--cert", cert.toString()));
        }
        Files.createDirectories(dir.resolve("data"));
        // s3rver's continuation tokens (listings past 1000 keys) use DES, which Node 17+ keeps in
        // OpenSSL's legacy provider: without it such a listing is an InternalError.
        ServerProcess p = ServerProcess.start(https ? "s3rver https" : "s3rver", command, java.util.Map.of("NODE_OPTIONS", "--openssl-legacy-provider"),
                List.of(port), Duration.ofSeconds(60));
        return new S3rverServer(p, URI.create((https ? "https" : "http") + "://127.0.0.1:" + port), dir);
    }

    /** {@code $S3RVER}, else {@code s3rver} on the PATH. */
    private static String executable() {
        String configured = System.getenv("S3RVER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(d, "s3rver");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw ServerProcess.missing("s3rver", "npm install -g s3rver@" + VERSION + " (or set S3RVER to its executable)");
    }

    private static void selfSignedCertificate(Path key, Path cert) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl could not make a test certificate: " + out);
        }
    }

    @Override
    public String name() {
        return process.toString();
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public String accessKey() {
        return CREDENTIAL;
    }

    @Override
    public String secretKey() {
        return CREDENTIAL;
    }

    @Override
    public void close() {
        process.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder
        }
    }
}
