package io.litestream4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code litestream version}: prints the build's version.
 *
 * <p>Its model (no options; picocli's {@code -h} is added by Main) is written here rather than
 * read from annotations, so that a {@code version} run reads no annotation at all: each
 * annotation type read costs a generated proxy class (see {@link LitestreamCommand}).
 */
final class VersionCommand implements Callable<Integer> {
    private CommandSpec spec;

    private VersionCommand() {}

    /** The command's model, with a new command as its user object. */
    static CommandSpec spec() {
        VersionCommand command = new VersionCommand();
        command.spec = CommandSpec.wrapWithoutInspection(command).name("version");
        command.spec.usageMessage().description("prints the binary version");
        return command.spec;
    }

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(line());
        return 0;
    }

    /** What {@code litestream version} prints. */
    static String line() {
        return "litestream4j v" + version();
    }

    /** The Maven project version (BuildInfo, generated at build time). */
    static String version() {
        return BuildInfo.VERSION;
    }
}
