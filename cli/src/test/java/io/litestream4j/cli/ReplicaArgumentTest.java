package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.WriteOnly;
import io.litestream4j.core.restore.RestorePlanner;
import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restore DB_PATH} with several replicas picks the one it can read: a write-only replica
 * (age recipients, no identities) is skipped while another exists, and chosen only when it is the
 * only one, so that the restore fails saying why rather than with "no replica".
 */
class ReplicaArgumentTest {
    private static final String RECIPIENT = "age17c684n628nr8yygt499avv507nf8nesk7xs7dnusfvyajd86ruwqlsxtkf";

    @TempDir
    Path dir;

    private Config config(String replicas) {
        return ConfigLoader.parse(dir.resolve("litestream.yml"), """
                dbs:
                  - path: %s/app.db
                    replicas:
                %s""".formatted(dir, replicas), Map.of(), true);
    }

    @Test
    void aWriteOnlyReplicaIsSkippedWhenAnotherCanBeRead() throws Exception {
        Config c = config("""
                      - name: offsite
                        url: file://%s/offsite
                        age:
                          recipients: [%s]
                      - name: local
                        url: file://%s/local
                """.formatted(dir, RECIPIENT, dir));
        try (ReplicaClient chosen = ReplicaArgument.open(c.dbs().getFirst(), null)) {
            assertThat(chosen.location()).contains("/local");
            assertThat(WriteOnly.of(chosen)).isEmpty();
        }
    }

    @Test
    void anOnlyWriteOnlyReplicaIsChosenAndItsRestoreSaysWhy() throws Exception {
        Config c = config("""
                      - name: offsite
                        url: file://%s/offsite
                        age:
                          recipients: [%s]
                      - name: other
                        url: file://%s/other
                        age:
                          recipients: [%s]
                """.formatted(dir, RECIPIENT, dir, RECIPIENT));
        try (ReplicaClient chosen = ReplicaArgument.open(c.dbs().getFirst(), null)) {
            assertThat(chosen.location()).contains("/offsite");
            assertThatThrownBy(() -> RestorePlanner.plan(chosen, OptionalLong.empty())).hasMessageContaining("/offsite")
                    .hasMessageContaining("restore").hasMessageContaining("no identities");
        }
    }
}
