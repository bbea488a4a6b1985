package io.litestream4j.replica.abs;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.litestream4j.core.replica.ServerProcess;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Azurite's blob service (npm {@code azurite} 3.37.0, installed by {@code .ci/run}) on a loopback
 * port ({@link ServerProcess}), storing into a temporary folder; killed on {@link #close}. Its one account is
 * {@code devstoreaccount1} with the development key Microsoft publishes. Missing Azurite skips
 * the test, or fails it under CI ({@code CI=true}), where {@code .ci/run} installs it.
 */
public final class Azurite implements AutoCloseable {
    public static final String VERSION = "3.37.0";
    public static final String ACCOUNT = "devstoreaccount1";
    /** Azurite's published development key (a well-known test value, not a secret). */
    public static final String KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private final ServerProcess process;
    private final Path dir;
    private final int port;

    private Azurite(ServerProcess process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts Azurite and waits until it accepts connections (it takes seconds, many on a busy machine). */
    public static Azurite start() throws IOException, InterruptedException {
        return start(freePort(), Files.createTempDirectory("azurite"));
    }

    /** Starts Azurite on {@code port} storing into {@code dir}: a restart there finds the same blobs. */
    public static Azurite start(int port, Path dir) throws IOException, InterruptedException {
        List<String> command = List.of(executable(), "--blobHost", "127.0.0.1", "--blobPort", Integer.toString(port), "--location", dir.toString(),
                "--silent", "--loose");
        // Node takes 2 s to start it on an idle machine, 20 s and more under heavy load.
        return new Azurite(ServerProcess.start("azurite", command, Map.of(), List.of(port), Duration.ofSeconds(120)), dir, port);
    }

    /** {@code $AZURITE_BLOB}, else {@code azurite-blob} on the PATH. */
    private static String executable() {
        String configured = System.getenv("AZURITE_BLOB");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(d, "azurite-blob");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw ServerProcess.missing("azurite", "npm install -g azurite@" + VERSION + " (or set AZURITE_BLOB to its azurite-blob)");
    }

    /** A port free on 127.0.0.1 a moment ago. */
    public static int freePort() throws IOException {
        return ServerProcess.freePort();
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** The account's blob endpoint, {@code http://127.0.0.1:PORT/devstoreaccount1}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port + "/" + ACCOUNT);
    }

    /** A client with the account's key, for setting up and inspecting what the replica stored. */
    public BlobServiceClient admin() {
        return new BlobServiceClientBuilder().endpoint(endpoint().toString()).credential(new StorageSharedKeyCredential(ACCOUNT, KEY))
                .httpClient(new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder(
                        java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)).build())
                .buildClient();
    }

    /** Creates {@code container} (if missing) and returns its admin client. */
    public BlobContainerClient container(String container) {
        BlobContainerClient c = admin().getBlobContainerClient(container);
        c.createIfNotExists();
        return c;
    }

    /** Settings with the account's shared key. */
    public AbsSettings sharedKey(String container, String path) {
        return new AbsSettings(ACCOUNT, KEY, null, endpoint(), container, path);
    }

    /** A container SAS token allowing everything a replica does, valid for a day. */
    public String sasToken(String container) {
        var permissions = new BlobContainerSasPermission().setReadPermission(true).setAddPermission(true).setCreatePermission(true)
                .setWritePermission(true).setDeletePermission(true).setListPermission(true);
        return container(container).generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusDays(1), permissions));
    }

    /** Settings with a container SAS token and no key (as Litestream, the account name is optional then). */
    public AbsSettings sas(String container, String path) {
        return new AbsSettings(null, null, sasToken(container), endpoint(), container, path);
    }

    String output() {
        return process.output();
    }

    /** Stops the server and keeps its folder (a restart on the same port and folder serves the same blobs). */
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
        return "azurite " + VERSION + " on 127.0.0.1:" + port;
    }

}
