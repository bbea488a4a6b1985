package io.litestream4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The top-level command: only dispatches to subcommands (which Main adds, see Main.COMMANDS).
 *
 * <p>Its model is written here rather than read from a {@code @Command} annotation: every run
 * builds it, and reading an annotation makes the JDK generate a proxy class per annotation type
 * (with the class-file library, interpreted at that point), the largest part of a short command
 * such as {@code version} (docs/benchmarks.md, start-up of the release). The text is the same
 * as the annotation gave.
 */
final class LitestreamCommand implements Callable<Integer> {
    private CommandSpec spec;

    private LitestreamCommand() {}

    /** The command's model, with a new command as its user object. */
    static CommandSpec spec() {
        LitestreamCommand command = new LitestreamCommand();
        command.spec = CommandSpec.wrapWithoutInspection(command).name("litestream");
        command.spec.usageMessage()
                .description("litestream is a tool for replicating SQLite databases.")
                .synopsisSubcommandLabel("<command>")
                .commandListHeading("%nThe commands are:%n");
        return command.spec;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 1;
    }
}
