package io.litestream4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level command: only dispatches to subcommands (which Main adds, see Main.COMMANDS). */
@Command(
        name = "litestream",
        description = "litestream is a tool for replicating SQLite databases.",
        synopsisSubcommandLabel = "<command>",
        commandListHeading = "%nThe commands are:%n")
final class LitestreamCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 1;
    }
}
