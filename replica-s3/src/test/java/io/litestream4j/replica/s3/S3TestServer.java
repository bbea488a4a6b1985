package io.litestream4j.replica.s3;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;

/**
 * A real S3 server (S3Proxy over an on-disk store) on a loopback port, with signature checks on.
 * It counts the storage operations its requests make, so tests can see that an idle replicator
 * sends nothing.
 */
public final class S3TestServer implements S3Store {
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key-do-not-log";

    private final S3Proxy proxy;
    private final BlobStore store;
    private final AtomicLong operations;

    private final java.util.Map<String, AtomicLong> byMethod;

    private S3TestServer(S3Proxy proxy, BlobStore store, AtomicLong operations, java.util.Map<String, AtomicLong> byMethod) {
        this.proxy = proxy;
        this.store = store;
        this.operations = operations;
        this.byMethod = byMethod;
    }

    /** Storage operations of one kind so far, by the blob store's method name ({@code putBlob}, {@code list}, ...). */
    public long operations(String method) {
        AtomicLong n = byMethod.get(method);
        return n == null ? 0 : n.get();
    }

    public static S3TestServer start() throws Exception {
        Path dir = Files.createTempDirectory("s3proxy");
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dir.toString());
        properties.setProperty(Constants.PROPERTY_IDENTITY, ACCESS_KEY);
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, SECRET_KEY);
        BlobStore real = BlobStores.create("filesystem-nio2", properties);
        AtomicLong operations = new AtomicLong();
        java.util.Map<String, AtomicLong> byMethod = new java.util.concurrent.ConcurrentHashMap<>();
        BlobStore counting = (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class},
                (self, method, args) -> {
                    if (!"close".equals(method.getName())) {
                        operations.incrementAndGet();
                        byMethod.computeIfAbsent(method.getName(), k -> new AtomicLong()).incrementAndGet();
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        S3Proxy proxy = S3Proxy.builder().blobStore(counting).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IllegalStateException("S3Proxy did not start within 60 s: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        return new S3TestServer(proxy, real, operations, byMethod);
    }

    @Override
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** Storage operations done for requests so far (every request makes at least one). */
    public long operations() {
        return operations.get();
    }

    @Override
    public String name() {
        return "s3proxy";
    }

    @Override
    public String accessKey() {
        return ACCESS_KEY;
    }

    @Override
    public String secretKey() {
        return SECRET_KEY;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping S3Proxy", e);
        } finally {
            store.close();
        }
    }
}
