package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.compaction.ReplicaCompactor;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restore whose planned level-0 files are removed by retention while it runs, after compaction
 * merged them into one level-1 file with newer transactions: the planned TXID now lies inside
 * that file. FollowCliIT met it in CI (a follower's first restore, L1 every second, L0 retention
 * 1 s): a restore of the newest state failed with "TXID ... lies inside level 1 file".
 */
class ReplanAfterRetentionTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void aRestoreOfTheNewestStatePlansToTheNewestAgainAndAChosenTxidFailsNamingIt() throws Exception {
        Path replica = RestoreFailuresTest.replicate(dir, 4);
        try (FileReplicaClient client = new FileReplicaClient(replica)) {
            List<LtxFileInfo> l0 = client.listFiles(0, 0);
            long newest = l0.getLast().maxTxid();
            long planned = l0.get(l0.size() - 2).maxTxid();
            RestorePlan stale = RestorePlanner.plan(client, OptionalLong.of(planned)); // made before the compaction below
            assertThat(stale.files()).as("the stale plan reads level 0").allSatisfy(f -> assertThat(f.level()).isZero());

            new ReplicaCompactor(client, dir.resolve("tmp")).compact(1);
            try (Stream<Path> files = Files.list(replica.resolve("ltx").resolve("0"))) {
                for (Path f : files.toList()) {
                    Files.delete(f); // retention: level 1 now covers them
                }
            }

            Restorer.Result latest = Restorer.restore(client, stale,
                    new RestoreOptions(dir.resolve("latest.db"), OptionalLong.empty(), RestoreOptions.IntegrityCheck.FULL, false));
            assertThat(latest.txid()).as("planned again to the newest state").isEqualTo(newest);
            assertThat(latest.checksumVerified()).isTrue();
            assertThat(dir.resolve("latest.db")).exists();

            assertThatThrownBy(() -> Restorer.restore(client, stale,
                    new RestoreOptions(dir.resolve("chosen.db"), OptionalLong.of(planned), RestoreOptions.IntegrityCheck.NONE, false)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("lies inside level 1 file");
            assertThat(dir.resolve("chosen.db")).doesNotExist();
        }
    }
}
