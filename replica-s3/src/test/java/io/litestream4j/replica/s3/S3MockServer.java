package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Adobe S3Mock (Maven {@code com.adobe.testing:s3mock}, its executable jar copied into
 * {@code replica-s3/target/test-servers} by the build) in its own JVM on two loopback ports: HTTP
 * and HTTPS with the self-signed certificate it ships. It accepts any credentials. It takes
 * tens of seconds to start, so one instance serves every test in a JVM (buckets keep tests
 * apart) and stops when the JVM exits.
 */
public final class S3MockServer {
    private static ServerProcess shared;
    private static int httpPort;
    private static int httpsPort;

    private S3MockServer() {}

    /** S3Mock over HTTP, or over HTTPS with its self-signed certificate. */
    public static synchronized S3Store start(boolean https) throws IOException, InterruptedException {
        if (shared == null) {
            Path jar = jar();
            httpPort = ServerProcess.freePort();
            httpsPort = ServerProcess.freePort();
            Path root = Files.createTempDirectory("s3mock");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            shared = ServerProcess.start("s3mock", List.of(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                    "--server.address=127.0.0.1", "--server.port=" + httpsPort, "--com.adobe.testing.s3mock.httpPort=" + httpPort,
                    "--com.adobe.testing.s3mock.store.root=" + root, "--spring.main.banner-mode=off", "--logging.level.root=WARN"),
                    Map.of(), List.of(httpPort, httpsPort), Duration.ofSeconds(180));
            ServerProcess started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        URI endpoint = URI.create(https ? "https://127.0.0.1:" + httpsPort : "http://127.0.0.1:" + httpPort);
        return new S3Store() {
            @Override
            public String name() {
                return https ? "s3mock https" : "s3mock";
            }

            @Override
            public URI endpoint() {
                return endpoint;
            }

            @Override
            public String accessKey() {
                return "s3mock-access-key";
            }

            @Override
            public String secretKey() {
                return "s3mock-secret-key";
            }

            @Override
            public void close() {
                // shared: stopped when the JVM exits
            }
        };
    }

    private static Path jar() {
        String root = System.getProperty("project.root");
        Path dir = root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
        Path jar = dir.resolve("replica-s3/target/test-servers/s3mock.jar");
        if (!Files.isRegularFile(jar)) {
            throw ServerProcess.missing("S3Mock", "build replica-s3 first (its build copies " + jar + " from Maven)");
        }
        return jar;
    }
}
