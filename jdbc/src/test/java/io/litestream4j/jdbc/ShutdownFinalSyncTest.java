package io.litestream4j.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.Restore;
import io.litestream4j.core.TestDb;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An application that exits with its connections open still gets the final sync. */
@Timeout(300) // it ends a hang, not a slow run: a JVM start and a few hundred inserts on a busy machine
class ShutdownFinalSyncTest {
    @TempDir
    Path dir;

    @Test
    void anAppThatExitsWithoutClosingItsConnectionLosesNothing() throws Exception {
        Path db = dir.resolve("app.db");
        Path replica = dir.resolve("replica");
        // An hour between uploads: only the final sync at exit can put the rows in the replica.
        String url = "jdbc:litestream:" + db + "?replica=" + replica + "&sync-interval=1h";
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ExitWithoutClosingApp.class.getName(), url, "500")
                .redirectErrorStream(true).start();
        boolean exited = app.waitFor(240, TimeUnit.SECONDS);
        String output = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            app.destroyForcibly();
        }
        assertThat(exited).as("the app exited; its output:\n%s", output).isTrue();
        assertThat(app.exitValue()).as(output).isZero();
        assertThat(output).contains("written");

        Path restored = dir.resolve("restored.db");
        Restore.from(replica.toString()).into(restored);
        try (Connection c = TestDb.open(restored)) {
            assertThat(TestDb.queryLong(c, "SELECT count(*) FROM t")).isEqualTo(500);
        }
    }
}
