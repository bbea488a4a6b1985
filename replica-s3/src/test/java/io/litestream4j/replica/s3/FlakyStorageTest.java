package io.litestream4j.replica.s3;

import io.litestream4j.core.replica.FaultInjectingClient;
import io.litestream4j.core.replica.FaultInjectingClient.Mode;
import io.litestream4j.core.replica.FlakyStorageContract;
import io.litestream4j.core.replica.LoopbackServer;
import io.litestream4j.core.replica.ReplicaClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Flaky S3 (S3Proxy): the shared TCP test of {@link FlakyStorageContract} (connections reset
 * part-way or stalled, the SDK's own retries and connection pool meet real broken sockets), and
 * storage that fails 20% of its requests at the API level (500s, 503 SlowDown, connections reset
 * mid-upload or before the answer, 500 ms answers, at random) under the same load, with the same
 * requirements.
 */
class FlakyStorageTest extends FlakyStorageContract {
    @Override
    protected LoopbackServer startServer(Path dir) throws Exception {
        return S3Loopback.start("flaky");
    }

    @Override
    protected String name() {
        return "FlakyStorageTest (s3)";
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES) // the soak's 10 minutes of faults and the catch-up, with room for a loaded machine
    void twentyPercentFaultsUnderLoadLoseNothingAndTheLagRecoversWithinTenSeconds() throws Exception {
        long seed = Long.getLong("faults.seed", System.nanoTime());
        System.out.println("FlakyStorageTest seed " + seed + " (rerun with -Dfaults.seed=" + seed + ")");
        try (S3Loopback server = S3Loopback.start("flaky"); ReplicaClient client = server.client()) {
            FaultInjectingClient faults = new FaultInjectingClient(client);
            faults.randomFaults(0.2, seed);
            replicateThroughFaults(faults, on -> faults.mode(on ? Mode.RANDOM : Mode.NONE), faults::injected,
                    () -> "%d calls, %d faults injected %s".formatted(faults.calls(), faults.injected(), faults.randomFaultsByKind()));
            try (ReplicaClient clean = server.client()) {
                assertRestoreEqualsSource(clean);
            }
        }
    }
}
