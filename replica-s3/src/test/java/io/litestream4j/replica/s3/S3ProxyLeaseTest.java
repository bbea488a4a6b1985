package io.litestream4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.replica.LeaseUnsupportedException;
import io.litestream4j.core.replica.LeasedReplicaClient;
import io.litestream4j.core.replica.ReplicaClient;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A store that cannot write conditionally (S3Proxy answers 501) is replicated to without a lease, not refused. */
@Timeout(120)
class S3ProxyLeaseTest {
    @Test
    void aStoreWithoutConditionalWritesIsUsedWithoutALease() throws Exception {
        try (S3Store store = S3TestServer.start()) {
            store.createBucket("nolease");
            S3ReplicaClient client = new S3ReplicaClient(store.settings("nolease", "db"));
            var leases = client.capability(io.litestream4j.core.replica.LeaseStore.class).orElseThrow();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> leases.writeLease("{}".getBytes(), null))
                    .isInstanceOf(LeaseUnsupportedException.class).hasMessageContaining("501").hasMessageContaining("lock.json");
            try (ReplicaClient c = LeasedReplicaClient.acquire(client, Duration.ofSeconds(30), Clock.systemUTC())) {
                assertThat(c).isSameAs(client);
                assertThat(leases.readLease()).isEmpty();
            }
        }
    }
}
