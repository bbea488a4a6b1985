package io.litestream4j.replica.sftp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * OpenSSH's {@code sshd} (Debian {@code openssh-server}, which {@code .ci/run} installs) on a free
 * loopback port with its own configuration, host key and authorized key, serving SFTP v3 through
 * {@code internal-sftp}. It logs in the user running the tests (root under CI) by public key.
 * {@link #stop()} and {@link #start()} take it down and bring it back on the same port.
 */
public final class OpenSshServer implements SftpTestServer {
    private static final Path SSHD = Path.of("/usr/sbin/sshd");

    private final Path dir;
    private final Path config;
    private final int port;
    private final String hostKey;
    private Process process;

    private OpenSshServer(Path dir, Path config, int port, String hostKey) {
        this.dir = dir;
        this.config = config;
        this.port = port;
        this.hostKey = hostKey;
    }

    /** Starts a server whose keys, configuration and log live in {@code dir}. */
    public static OpenSshServer start(Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(SSHD)) {
            String message = "OpenSSH's sshd (" + SSHD + ") is not installed: apt-get install openssh-server";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(message + " (.ci/run installs it; under CI its tests must run)");
            }
            Assumptions.abort(message);
        }
        Files.createDirectories(dir);
        keygen(dir.resolve("host_ed25519"), "");
        keygen(dir.resolve("client_ed25519"), "");
        Files.copy(dir.resolve("client_ed25519.pub"), dir.resolve("authorized_keys"));
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder; Debian makes it at boot
        int port = freePort();
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + dir.resolve("host_ed25519"),
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "AllowUsers " + System.getProperty("user.name"),
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                ""));
        String hostKey = Files.readString(dir.resolve("host_ed25519.pub")).strip();
        OpenSshServer server = new OpenSshServer(dir, config, port, hostKey);
        server.start();
        return server;
    }

    /** Makes a key pair with {@code ssh-keygen} (OpenSSH's own format, as users have them). */
    static void keygen(Path file, String passphrase) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "litestream4j-test", "-f", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("ssh-keygen %s failed: %s".formatted(file, out));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts sshd (again) and waits until it accepts connections. */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Path log = dir.resolve("sshd.log");
        process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("sshd did not start listening on 127.0.0.1:%d: %s".formatted(port, Files.readString(log)));
            }
            Thread.sleep(20);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Stops sshd and every session it serves (each session is a child process of its own, in
     * sshd's process tree), as a crashed or restarted server would.
     */
    public synchronized void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> sessions = process.descendants().toList();
        process.destroy();
        sessions.forEach(ProcessHandle::destroy);
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle s : sessions) {
            s.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> s).join();
        }
        process = null;
    }

    @Override
    public String name() {
        return "OpenSSH";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return System.getProperty("user.name");
    }

    @Override
    public String hostKey() {
        return hostKey;
    }

    @Override
    public Path clientKey() {
        return dir.resolve("client_ed25519");
    }

    @Override
    public String root() {
        return dir.resolve("data").toAbsolutePath().toString();
    }

    /** The folder {@link #root()} on this machine, to look at what the server stored. */
    public Path rootDir() {
        return dir.resolve("data");
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
