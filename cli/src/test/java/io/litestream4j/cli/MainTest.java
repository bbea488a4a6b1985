package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void versionPrintsTheBuildVersion() {
        Result r = run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).matches("litestream4j v\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("litestream is a tool for replicating SQLite databases")
                .contains("The commands are:")
                .containsPattern("version\\s+prints the binary version")
                .containsPattern("help\\s+shows the commands");
    }

    @Test
    void helpDescribesOneCommand() {
        Result r = run("help", "version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: litestream version");
    }

    @Test
    void noArgumentsPrintsUsageAndFails() {
        Result r = run();
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Usage: litestream").contains("The commands are:");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void unknownCommandIsNamed() {
        Result r = run("nosuch");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Error: litestream nosuch: unknown command").contains("Try: litestream help");
    }

    @Test
    void unknownFlagIsNamed() {
        Result r = run("version", "-bogus");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("-bogus");
    }

    @Test
    void helpForAnUnknownCommandFails() {
        Result r = run("help", "nosuch");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("litestream nosuch: unknown command");
    }

    @Test
    void helpFlagsWorkOnTheTopLevelAndEveryCommand() {
        for (String[] args : new String[][] {{"-h"}, {"--help"}, {"-help"}, {"version", "-h"}, {"help", "-help"}, {"replicate", "-h"},
            {"restore", "--help"}, {"ltx", "-help"}, {"status", "-h"}, {"databases", "-h"}}) {
            Result r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: litestream").contains("-h, -help, --help");
            assertThat(r.err()).isEmpty();
        }
    }

    @Test
    void helpShowsEnvironmentVariablesLiterally() {
        for (String command : new String[] {"replicate", "restore", "ltx", "status", "databases"}) {
            assertThat(run(command, "-h").out()).as(command).contains("do not expand $VAR and ${VAR} in the config file").doesNotContain("null");
        }
    }

    @Test
    void anErrorWithoutAMessageIsNamedWithItsCause() {
        assertThat(Main.errorLine(new java.io.EOFException())).isEqualTo("Error: EOFException");
        assertThat(Main.errorLine(new java.io.IOException(null, new java.io.IOException("disk on fire")))).isEqualTo("Error: IOException: disk on fire");
        assertThat(Main.errorLine(new IllegalStateException("upload failed", new java.io.IOException("connection reset"))))
                .isEqualTo("Error: upload failed: connection reset");
    }
}
