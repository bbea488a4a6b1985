package io.litestream4j.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Entry point of the {@code litestream} command.
 *
 * <p>Flags follow Litestream's Go conventions: one dash and a whole word ({@code -config},
 * {@code -o}), with the two-dash form accepted too. A subcommand declares them as
 * {@code @Option(names = {"-config", "--config"})}; clustering of short options is off so that
 * {@code -config} is never read as {@code -c -o -n ...}.
 *
 * <p>Every subcommand is a class implementing {@code Callable<Integer>} that writes only to
 * {@code spec.commandLine().getOut()} and {@code getErr()}, so tests run commands in-process
 * through {@link #run} with their own writers.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line and returns the exit code: 0 on success, 1 on any error. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = commandLine(out, err);
        if (args.length == 0) {
            cli.usage(err);
            return 1;
        }
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new LitestreamCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setPosixClusteredShortOptionsAllowed(false);
        cli.setUnmatchedOptionsArePositionalParams(false);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("Error: " + e.getMessage());
            return 1;
        });
        return cli;
    }

    /** Bad flags or an unknown command: say what was wrong and where to look, exit 1. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (e instanceof CommandLine.UnmatchedArgumentException u && cmd.getCommandSpec().parent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            err.println("Error: litestream " + u.getUnmatched().getFirst() + ": unknown command");
            err.println("Try: litestream help");
        } else {
            err.println("Error: " + e.getMessage());
            err.println("Try: " + cmd.getCommandSpec().qualifiedName() + " -h");
        }
        return 1;
    }
}
