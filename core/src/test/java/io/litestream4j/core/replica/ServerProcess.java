package io.litestream4j.core.replica;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A test server run as a child process (s3rver under Node, S3Mock in its own JVM): started with
 * its output in a log file, ready once its ports accept connections, killed on {@link #close}.
 */
public final class ServerProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ServerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} and waits (at most {@code patience}) until every port in {@code ports} on 127.0.0.1 accepts connections. */
    public static ServerProcess start(String name, List<String> command, java.util.Map<String, String> env, List<Integer> ports, Duration patience)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile(name.replace(' ', '-'), ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        ServerProcess server = new ServerProcess(name, p, log);
        long deadline = System.nanoTime() + patience.toNanos();
        for (int port : ports) {
            while (!accepts(port)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String output = server.output();
                    server.close();
                    throw new IOException("%s did not start listening on 127.0.0.1:%d within %s (%s):%n%s".formatted(name, port, patience,
                            p.isAlive() ? "still running" : "exited " + p.exitValue(), output));
                }
                Thread.sleep(50);
            }
        }
        return server;
    }

    /** Whether something accepts connections on 127.0.0.1:{@code port} (within 0.5 s). */
    public static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A port free on 127.0.0.1 a moment ago, for a server that cannot report the one it picked. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A tool the tests need is missing. Under CI ({@code CI=true}) that is a failure, since
     * {@code .ci/run} installs it; elsewhere the test is skipped with {@code howToInstall}.
     */
    public static RuntimeException missing(String what, String howToInstall) {
        String message = what + " is not installed: " + howToInstall;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message + " (.ci/run installs it; under CI its tests must run)");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file; the OS cleans up
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
