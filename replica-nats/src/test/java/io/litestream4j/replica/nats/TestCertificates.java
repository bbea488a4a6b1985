package io.litestream4j.replica.nats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A CA made for the run with {@code openssl}, a server certificate it signed for 127.0.0.1, and a
 * client certificate it signed (PKCS#8 key) for mutual TLS.
 */
record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {
    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path caKey = dir.resolve("ca-key.pem");
        Path caCert = dir.resolve("ca.pem");
        Path key = dir.resolve("server-key.pem");
        Path csr = dir.resolve("server.csr");
        Path cert = dir.resolve("server.pem");
        Path ext = dir.resolve("san.ext");
        Files.writeString(ext, "subjectAltName=IP:127.0.0.1\n");
        openssl(List.of("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=litestream4j test CA", "-keyout",
                caKey.toString(), "-out", caCert.toString()));
        openssl(List.of("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key.toString(), "-out", csr.toString()));
        openssl(List.of("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(), "-CAcreateserial", "-days",
                "2", "-extfile", ext.toString(), "-out", cert.toString()));
        Path clientKey = dir.resolve("client-key.pem");
        Path clientCsr = dir.resolve("client.csr");
        Path clientCert = dir.resolve("client.pem");
        openssl(List.of("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=litestream4j client", "-keyout", clientKey.toString(), "-out",
                clientCsr.toString()));
        openssl(List.of("x509", "-req", "-in", clientCsr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                "-days", "2", "-out", clientCert.toString()));
        return new TestCertificates(caCert, cert, key, clientCert, clientKey);
    }

    private static void openssl(List<String> args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("openssl %s failed: %s".formatted(args.getFirst(), out));
        }
    }

    /** A client context that trusts only the test CA; with {@code mutual}, it presents the client certificate too. */
    SSLContext clientContext(boolean mutual) throws IOException {
        NatsSettings s = new NatsSettings("nats://127.0.0.1:1", "b", null, null, null, null, null, null, null, true, List.of(caCert.toString()),
                mutual ? clientCert.toString() : null, mutual ? clientKey.toString() : null, 0, Duration.ZERO, Duration.ofSeconds(1));
        return TlsContexts.create(s);
    }
}
