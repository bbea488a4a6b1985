package io.litestream4j.replica.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code nats-server} (Debian's package, installed by {@code .ci/run}) with JetStream on a
 * free loopback port, its store in a temporary folder, optionally requiring a user and password
 * or a token, or speaking TLS with a certificate from a test CA. It can be stopped and started
 * again on the same port and store, as a server that goes away and comes back.
 */
public final class NatsServer implements AutoCloseable {
    /** How clients authenticate to the test server. */
    public enum Auth {
        NONE, PASSWORD, TOKEN,
        /** An {@code authorization} or operator section of the server's config file ({@link #withConfig}). */
        CONFIG,
        /** Mutual TLS: the server verifies a client certificate from the test CA ({@link #mutualTls}). */
        CLIENT_CERTIFICATE
    }

    public static final String USER = "litestream";
    public static final String PASSWORD = "nats-test-password-1";
    public static final String TOKEN = "nats-test-token-1";

    private final Auth auth;
    private final Path dir;
    private final int port;
    private final TestCertificates certificates;
    private Process process;
    /** With {@link Auth#CONFIG}: the config file's authentication section, and how the admin connection authenticates. */
    private String authConfig;
    private java.util.function.Consumer<Options.Builder> adminAuth = b -> {};

    private NatsServer(Auth auth, Path dir, int port, TestCertificates certificates) {
        this.auth = auth;
        this.dir = dir;
        this.port = port;
        this.certificates = certificates;
    }

    /** Starts a server; skips the test (fails it under CI) when nats-server is not installed. */
    public static NatsServer start(Auth auth) throws IOException, InterruptedException {
        return start(auth, false);
    }

    /** Starts a server, over TLS when {@code tls} (certificates from a CA made for the run). */
    public static NatsServer start(Auth auth, boolean tls) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("nats-server");
        NatsServer server = new NatsServer(auth, dir, freePort(), tls ? TestCertificates.create(dir.resolve("tls")) : null);
        server.startProcess();
        return server;
    }

    /**
     * Starts a server whose config file holds {@code authConfig} (an {@code authorization} block,
     * or an operator, resolver and preloaded accounts); {@code adminAuth} sets up the operator's
     * own connection (bucket creation) to pass it.
     */
    public static NatsServer withConfig(String authConfig, java.util.function.Consumer<Options.Builder> adminAuth)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("nats-server");
        NatsServer server = new NatsServer(Auth.CONFIG, dir, freePort(), null);
        server.authConfig = authConfig;
        server.adminAuth = adminAuth;
        server.startProcess();
        return server;
    }

    /** Starts a server over TLS that requires a client certificate signed by the test CA ({@link #certificates}). */
    public static NatsServer mutualTls() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("nats-server");
        NatsServer server = new NatsServer(Auth.CLIENT_CERTIFICATE, dir, freePort(), TestCertificates.create(dir.resolve("tls")));
        server.startProcess();
        return server;
    }

    private static String executable() {
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String message = "nats-server is not installed: apt-get install nats-server";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message + " (.ci/run installs it; under CI its tests must run)");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts (again) on the same port and store; returns once it accepts connections. */
    public synchronized void startProcess() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable(), "-js", "-a", "127.0.0.1", "-p", Integer.toString(port), "-sd",
                dir.resolve("store").toString()));
        switch (auth) {
            case PASSWORD -> command.addAll(List.of("--user", USER, "--pass", PASSWORD));
            case TOKEN -> command.addAll(List.of("--auth", TOKEN));
            case NONE, CONFIG, CLIENT_CERTIFICATE -> {}
        }
        StringBuilder conf = new StringBuilder();
        if (certificates != null) {
            // In a config file for the handshake timeout: the default (2 s) is too short on a busy machine.
            conf.append("tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n  timeout: 30\n".formatted(certificates.serverCert(),
                    certificates.serverKey()));
            if (auth == Auth.CLIENT_CERTIFICATE) {
                conf.append("  ca_file: \"%s\"\n  verify: true\n".formatted(certificates.caCert()));
            }
            conf.append("}\n");
        }
        if (authConfig != null) {
            conf.append(authConfig).append('\n');
        }
        if (!conf.isEmpty()) {
            Path file = dir.resolve("server.conf");
            Files.writeString(file, conf);
            command.addAll(List.of("-c", file.toString()));
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // well under a second when idle; a busy CI machine is slower
        while (!accepts()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String output = output();
                stopProcess();
                throw new IOException("nats-server did not start listening on 127.0.0.1:%d:%n%s".formatted(port, output));
            }
            Thread.sleep(50);
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 10 s); its store stays for {@link #startProcess}. */
    public synchronized void stopProcess() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process = null;
    }

    private Path log() {
        return dir.resolve("nats-server.log");
    }

    /** What the server printed, for failure messages. */
    public String output() {
        try {
            return Files.readString(log(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public int port() {
        return port;
    }

    /** {@code host:port} of the server. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    /** The test CA and its certificates; null without TLS. */
    TestCertificates certificates() {
        return certificates;
    }

    /** The test CA's certificate (PEM), for {@code root-cas}; null without TLS. */
    public Path caCertificate() {
        return certificates == null ? null : certificates.caCert();
    }

    /** A replica URL for {@code bucket}, with the user and password when the server wants them. */
    public String url(String bucket) {
        String credentials = auth == Auth.PASSWORD ? USER + ":" + PASSWORD + "@" : "";
        return "nats://%s%s/%s".formatted(credentials, address(), bucket);
    }

    /** Creates an object store bucket (file storage) as an operator would with {@code nats object add}. */
    public void createBucket(String bucket) throws Exception {
        Connection c = adminConnection();
        try {
            c.objectStoreManagement().create(ObjectStoreConfiguration.builder(bucket).storageType(StorageType.File).build());
        } finally {
            c.close();
        }
    }

    /** A connection as the operator, with the server's credentials. */
    public Connection adminConnection() throws Exception {
        Options.Builder b = Options.builder().server("nats://" + address()).connectionTimeout(Duration.ofSeconds(30));
        switch (auth) {
            case PASSWORD -> b.userInfo(USER, PASSWORD);
            case TOKEN -> b.token(TOKEN.toCharArray());
            case CONFIG -> adminAuth.accept(b);
            case NONE, CLIENT_CERTIFICATE -> {}
        }
        if (certificates != null) {
            b.sslContext(certificates.clientContext(auth == Auth.CLIENT_CERTIFICATE));
        }
        return Nats.connect(b.build());
    }

    @Override
    public void close() {
        stopProcess();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder
        }
    }

    @Override
    public String toString() {
        return "nats-server on " + address() + (auth == Auth.NONE ? "" : " (" + auth.name().toLowerCase(java.util.Locale.ROOT) + ")")
                + (certificates != null ? " over TLS" : "");
    }
}
