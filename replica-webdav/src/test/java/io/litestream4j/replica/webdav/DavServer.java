package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.ServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real WebDAV server on loopback for the tests, run as a child process with Basic auth: Apache
 * httpd with mod_dav ({@link #apache}) or rclone's server ({@link #rclone}). It can be stopped
 * and started again on the same port and folder, for the fault tests. Public for the CLI's tests.
 */
public final class DavServer implements AutoCloseable {
    public static final String USER = "litestream";
    public static final String PASSWORD = "dav-secret-1234";

    private final String name;
    private final List<String> command;
    private final int port;
    private final Path files;
    private final String davPath;
    private final Path log;
    /** The server's self-signed certificate (PEM) when it speaks HTTPS, else null. */
    private final Path certificate;
    private Process process;

    private DavServer(String name, List<String> command, int port, Path files, String davPath, Path log, Path certificate) {
        this.certificate = certificate;
        this.name = name;
        this.command = command;
        this.port = port;
        this.files = files;
        this.davPath = davPath;
        this.log = log;
    }

    /** Apache httpd with mod_dav_fs, its own config in a new folder, the DAV tree at {@code /dav/}. */
    public static DavServer apache() throws IOException, InterruptedException {
        return apache(false);
    }

    /** {@link #apache()}, over HTTPS with a self-signed certificate for 127.0.0.1 when {@code https}. */
    public static DavServer apache(boolean https) throws IOException, InterruptedException {
        Path binary = Path.of("/usr/sbin/apache2");
        if (!Files.isExecutable(binary)) {
            throw missing("Apache httpd (/usr/sbin/apache2)", "apt-get install apache2");
        }
        Path home = Files.createTempDirectory("litestream-apache-");
        // When run as root, httpd serves as www-data, which must be able to enter every parent
        // folder of the tree it serves (a temp folder is 0700) and write the tree and lock folder.
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path files = Files.createDirectories(home.resolve("files"));
        Path locks = Files.createDirectories(home.resolve("locks"));
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            for (Path p : List.of(files, locks)) {
                var lookup = p.getFileSystem().getUserPrincipalLookupService();
                Files.setOwner(p, lookup.lookupPrincipalByName("www-data"));
            }
        }
        Files.writeString(home.resolve("htpasswd"), USER + ":{SHA}" + java.util.Base64.getEncoder().encodeToString(
                sha1(PASSWORD)) + "\n");
        int port = ServerProcess.freePort();
        String modules = "/usr/lib/apache2/modules/";
        StringBuilder conf = new StringBuilder();
        for (String m : List.of("mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic", "alias", "dav", "dav_fs")) {
            conf.append("LoadModule %s_module %smod_%s.so%n".formatted(m, modules, m));
        }
        Path cert = null;
        if (https) {
            cert = home.resolve("cert.pem");
            selfSignedCertificate(cert, home.resolve("key.pem"));
            conf.append("LoadModule ssl_module %smod_ssl.so%nSSLEngine on%nSSLCertificateFile %s%nSSLCertificateKeyFile %s%n"
                    .formatted(modules, cert, home.resolve("key.pem")));
        }
        conf.append("""
                ServerName 127.0.0.1
                Listen 127.0.0.1:%1$d
                DefaultRuntimeDir %2$s
                PidFile %2$s/httpd.pid
                ErrorLog %2$s/error.log
                LogLevel warn
                %3$s
                DavLockDB %4$s/DavLock
                Timeout 60
                Alias /dav %5$s
                <Directory %5$s>
                  Dav On
                  AuthType Basic
                  AuthName "litestream tests"
                  AuthUserFile %2$s/htpasswd
                  Require valid-user
                </Directory>
                """.formatted(port, home, root ? "User www-data\nGroup www-data" : "", locks, files));
        Path config = home.resolve("httpd.conf");
        Files.writeString(config, conf);
        DavServer s = new DavServer(https ? "apache https" : "apache", List.of(binary.toString(), "-f", config.toString(), "-DFOREGROUND"), port, files,
                "/dav", home.resolve("error.log"), cert);
        s.start();
        return s;
    }

    /** rclone's WebDAV server ({@code rclone serve webdav}) on a new folder, the tree at {@code /}. */
    public static DavServer rclone() throws IOException, InterruptedException {
        Path binary = Path.of("/usr/bin/rclone");
        if (!Files.isExecutable(binary)) {
            throw missing("rclone (/usr/bin/rclone)", "apt-get install rclone");
        }
        Path home = Files.createTempDirectory("litestream-rclone-");
        Path files = Files.createDirectories(home.resolve("files"));
        int port = ServerProcess.freePort();
        DavServer s = new DavServer("rclone", List.of(binary.toString(), "serve", "webdav", files.toString(), "--addr", "127.0.0.1:" + port, "--user", USER,
                "--pass", PASSWORD, "--config", "/dev/null"), port, files, "", home.resolve("rclone.log"), null);
        s.start();
        return s;
    }

    public String name() {
        return name;
    }

    /** The folder the server keeps its files in. */
    public Path files() {
        return files;
    }

    /** {@code webdav://user:password@127.0.0.1:port/<dav path>/<path>}. */
    public String url(String path) {
        return "%s://%s:%s@127.0.0.1:%d%s/%s".formatted(certificate != null ? "webdavs" : "webdav", USER, PASSWORD, port, davPath, path);
    }

    /** An SSL context that trusts this server's self-signed certificate (HTTPS servers only). */
    public javax.net.ssl.SSLContext trustingSsl() throws Exception {
        var cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(certificate));
        var store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("dav", cert);
        var trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
        ssl.init(null, trust.getTrustManagers(), null);
        return ssl;
    }

    private static void selfSignedCertificate(Path cert, Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days",
                "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl could not make a certificate: " + out);
        }
    }

    /** The server's {@code http://127.0.0.1:port<dav path>}, as {@code webdav-url} gives it. */
    public String httpUrl() {
        return "%s://127.0.0.1:%d%s".formatted(certificate != null ? "https" : "http", port, davPath);
    }

    public int port() {
        return port;
    }

    /** Starts the server (again) and waits until it accepts connections. */
    public synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ServerProcess.accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String why = process.isAlive() ? "still running" : "exited " + process.exitValue();
                stop();
                throw new IOException("%s did not listen on 127.0.0.1:%d within 60 s (%s):%n%s".formatted(name, port, why, output()));
            }
            Thread.sleep(50);
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL); its files stay. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
            // httpd's children finish their requests after the parent is gone; wait for the port
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (ServerProcess.accepts(port) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        process = null;
    }

    /** What the server logged, for failure messages. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return name;
    }

    private static byte[] sha1(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Under CI ({@code CI=true}) a missing server fails the test ({@code .ci/run} installs it); elsewhere the test is skipped. */
    private static RuntimeException missing(String what, String howToInstall) {
        String message = what + " is not installed: " + howToInstall;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(message + " (.ci/run installs it; under CI its tests must run)");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}
