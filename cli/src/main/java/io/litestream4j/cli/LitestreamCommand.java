package io.litestream4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level command: only dispatches to subcommands. */
@Command(
        name = "litestream",
        description = "litestream is a tool for replicating SQLite databases.",
        synopsisSubcommandLabel = "<command>",
        subcommands = {ReplicateCommand.class, RestoreCommand.class, LtxCommand.class, StatusCommand.class, DatabasesCommand.class,
            StartStopCommands.Start.class, StartStopCommands.Stop.class, SyncCommand.class, RegisterCommands.Register.class,
            RegisterCommands.Unregister.class, ListInfoCommands.ListDatabases.class, ListInfoCommands.Info.class, ResetCommand.class, VerifyCommand.class,
            VersionCommand.class, HelpCommand.class},
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
