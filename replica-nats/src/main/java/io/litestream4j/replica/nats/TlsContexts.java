package io.litestream4j.replica.nats;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS context of a NATS connection from Litestream's PEM files: {@code root-cas} (trusted
 * instead of the JDK's authorities when given) and {@code client-cert} with {@code client-key}
 * (PKCS#8, {@code BEGIN PRIVATE KEY}; RSA, EC or Ed25519) for mutual TLS. Errors name the file.
 */
final class TlsContexts {
    private TlsContexts() {}

    static SSLContext create(NatsSettings settings) throws IOException {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (settings.rootCas().isEmpty()) {
                trust.init((KeyStore) null);
            } else {
                KeyStore roots = KeyStore.getInstance(KeyStore.getDefaultType());
                roots.load(null, null);
                int n = 0;
                for (String file : settings.rootCas()) {
                    for (Certificate c : certificates(Path.of(file), "root-cas")) {
                        roots.setCertificateEntry("ca-" + n++, c);
                    }
                }
                trust.init(roots);
            }
            KeyManagerFactory keys = null;
            if (settings.clientCert() != null) {
                List<Certificate> chain = certificates(Path.of(settings.clientCert()), "client-cert");
                PrivateKey key = privateKey(Path.of(settings.clientKey()));
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                char[] none = new char[0];
                store.setKeyEntry("client", key, none, chain.toArray(Certificate[]::new));
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, none);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("nats replica %s: cannot set up TLS: %s".formatted(settings.describe(), e.getMessage()), e);
        }
    }

    private static List<Certificate> certificates(Path file, String key) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IOException("%s %s: no PEM certificate in it".formatted(key, file));
            }
            return new ArrayList<>(certs);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("%s %s: no such file".formatted(key, file), e);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("%s %s: not a PEM certificate: %s".formatted(key, file, e.getMessage()), e);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("client-key %s: no such file".formatted(file), e);
        }
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(("client-key %s: want a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert one with "
                    + "`openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`").formatted(file));
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IOException("client-key %s: not an RSA, EC or Ed25519 key".formatted(file));
    }
}
