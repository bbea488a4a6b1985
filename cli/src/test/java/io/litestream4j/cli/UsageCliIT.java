package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Help and flag errors of the real {@code bin/litestream}: what a user sees when learning or mistyping. */
@Timeout(300)
class UsageCliIT {
    @TempDir
    Path dir;

    @Test
    void helpWorksOnEveryCommandInEveryFormAndExitsZero() throws Exception {
        // Each form on a few commands here; MainTest runs every command in-process (a JVM start each is slow).
        List<List<String>> asks = List.of(List.of("-h"), List.of("--help"), List.of("version", "-help"), List.of("replicate", "-h"));
        for (List<String> ask : asks) {
            CliProcess.Result r = CliProcess.run(dir, ask.toArray(String[]::new));
            assertThat(r.code()).as(ask + "\n" + r).isZero();
            assertThat(r.out()).as(ask + "\n" + r).contains("Usage: litestream").contains("-h, -help, --help");
            assertThat(r.err()).as(ask + "\n" + r).doesNotContain("Error");
            if (ask.contains("replicate")) {
                assertThat(r.out()).contains("do not expand $VAR and ${VAR} in the config file").doesNotContain("null");
            }
        }
    }

    @Test
    void aMistypedFlagIsReportedAloneAsTypedWithASuggestion() throws Exception {
        CliProcess.Result r = CliProcess.run(dir, "restore", "-ouput", "x.db", "replica");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).contains("Error: unknown flag -ouput (did you mean -o?)").doesNotContain("'replica'");
        CliProcess.Result once = CliProcess.run(dir, "replicate", "-onse", "a.db", "b");
        assertThat(once.err()).as(once.toString()).contains("Error: unknown flag -onse (did you mean -once?)").doesNotContain("a.db");
        CliProcess.Result none = CliProcess.run(dir, "status", "-bogus");
        assertThat(none.err()).as(none.toString()).contains("Error: unknown flag -bogus\n").contains("Try: litestream status -h");
    }

    @Test
    void errorsNameAFlagAsTheUserTypedIt() throws Exception {
        CliProcess.Result single = CliProcess.run(dir, "restore", "x", "-o");
        assertThat(single.err()).as(single.toString()).contains("option '-o' (PATH)").doesNotContain("--o");
        CliProcess.Result dashes = CliProcess.run(dir, "restore", "x", "--txid");
        assertThat(dashes.err()).as(dashes.toString()).contains("option '--txid' (TXID)");
        CliProcess.Result value = CliProcess.run(dir, "restore", "-parallelism", "many", "-o", "y", "x");
        assertThat(value.err()).as(value.toString()).contains("option '-parallelism': 'many' is not an int").doesNotContain("--parallelism");
    }
}
