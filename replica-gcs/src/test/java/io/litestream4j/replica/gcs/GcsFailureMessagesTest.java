package io.litestream4j.replica.gcs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.StorageException;
import java.net.ConnectException;
import java.net.URI;
import org.junit.jupiter.api.Test;

/**
 * What a user reads for the answers real GCS gives and the emulator never does (it accepts any
 * credentials and creates missing buckets): the client's documented contract for 401/403 and a
 * missing bucket, tested on the exceptions the Java client throws for them.
 */
class GcsFailureMessagesTest {
    private final GcsSettings settings = GcsSettings.emulated("prod-backups", "app", URI.create("http://127.0.0.1:9"));
    private final GcsReplicaClient client = new GcsReplicaClient(settings, GcsReplicaClient.storage(settings, NoCredentials.getInstance()));

    @Test
    void refusedCredentialsNameTheBucketAndWhatToCheck() {
        for (int code : new int[] {401, 403}) {
            String message = client.failure("list level 0", new StorageException(code, "Permission 'storage.objects.list' denied")).getMessage();
            assertThat(message).contains("gs replica").contains("list level 0").contains("HTTP " + code).contains("access denied")
                    .contains("GOOGLE_APPLICATION_CREDENTIALS").contains("bucket prod-backups").contains("storage.objects.list");
        }
    }

    @Test
    void aMissingBucketSaysSoButAMissingFileDoesNot() {
        assertThat(client.failure("list level 0", new StorageException(404, "The specified bucket does not exist.")).getMessage())
                .contains("HTTP 404").contains("bucket prod-backups does not exist");
        assertThat(client.failure("get app/ltx/0/x.ltx", new StorageException(404, "No such object")).getMessage())
                .contains("HTTP 404").doesNotContain("bucket prod-backups does not exist");
    }

    @Test
    void anUnreachableEndpointIsNamed() {
        var e = new StorageException(0, "connect failed", new ConnectException("Connection refused"));
        assertThat(client.failure("list level 0", e).getMessage()).contains("cannot connect to http://127.0.0.1:9").contains("Connection refused");
    }
}
