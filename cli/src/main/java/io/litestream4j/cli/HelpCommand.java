package io.litestream4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code litestream help [COMMAND]}: the list of commands, or one command's usage. */
@Command(name = "help", description = "shows the commands, or the usage of one command", helpCommand = true)
final class HelpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "COMMAND", description = "the command to describe")
    String command;

    @Override
    public Integer call() {
        CommandLine root = spec.parent().commandLine();
        if (command == null) {
            root.usage(spec.commandLine().getOut());
            return 0;
        }
        CommandLine sub = root.getSubcommands().get(command);
        if (sub == null) {
            spec.commandLine().getErr().println("Error: litestream " + command + ": unknown command");
            spec.commandLine().getErr().println("Try: litestream help");
            return 1;
        }
        sub.usage(spec.commandLine().getOut());
        return 0;
    }
}
