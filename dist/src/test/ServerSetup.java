import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ObjectStoreConfiguration;
import java.time.Duration;

/**
 * What test-backends.sh needs before the release replicates to a test server, done with the
 * client libraries the release ships (run by a JDK: {@code java -cp 'app/lib/*' ServerSetup.java
 * ...}), since Litestream, like us, expects the container or bucket to exist:
 *
 * <pre>
 *   abs-container ENDPOINT ACCOUNT KEY CONTAINER   creates an Azure Blob container (Azurite)
 *   nats-bucket   URL BUCKET                       creates a JetStream object store bucket
 * </pre>
 */
public final class ServerSetup {
    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "abs-container" -> new BlobServiceClientBuilder().endpoint(args[1])
                    .credential(new StorageSharedKeyCredential(args[2], args[3])).buildClient()
                    .getBlobContainerClient(args[4]).createIfNotExists();
            case "nats-bucket" -> {
                try (Connection nats = Nats.connect(args[1])) {
                    nats.objectStoreManagement().create(ObjectStoreConfiguration.builder(args[2]).build());
                    nats.flush(Duration.ofSeconds(30));
                }
            }
            default -> {
                System.err.println("usage: ServerSetup abs-container ENDPOINT ACCOUNT KEY CONTAINER | nats-bucket URL BUCKET");
                System.exit(2);
            }
        }
    }
}
