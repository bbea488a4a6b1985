package io.litestream4j.cli;

import io.litestream4j.core.DatabaseFiles;
import io.litestream4j.core.replica.ReplicaHealth;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
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
        if (args.length == 1 && args[0].equals("version")) {
            // The commonest probe of an install, answered before picocli is loaded: the same line
            // as VersionCommand prints (CliIT checks they agree), about 500 fewer classes.
            System.out.println(VersionCommand.line());
            return;
        }
        // This process opens no SQLite connection to the databases it replicates besides the
        // replicator's own: a database's descriptor can close with it (tests running commands
        // in-process through run() hold their own connections, so only here).
        DatabaseFiles.closeWhenUnused();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        if (code == 0 && onlyDaemonThreadsLeft()) {
            // The JVM ends as System.exit(0) would (shutdown hooks run, status 0) without
            // System.exit's own cost: it looks up a System.Logger to log the exit at DEBUG, which
            // scans the META-INF/services of every jar on the class path, 0.1-0.2 s of CPU in a
            // command as short as version (docs/benchmarks.md, start-up of the release).
            return;
        }
        System.exit(code);
    }

    /** True if no thread but this one would keep the JVM alive once main returns. */
    private static boolean onlyDaemonThreadsLeft() {
        Thread self = Thread.currentThread();
        return Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t != self && t.isAlive() && !t.isDaemon());
    }

    /** Runs the command line and returns the exit code: 0 on success, 1 on any error. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = commandLine(out, err, args.length == 0 ? null : args[0]);
        if (args.length == 0) {
            cli.usage(err);
            return 1;
        }
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The subcommands in the order usage lists them, each made only when needed: picocli reflects
     * over every command it is given (options, converters, usage text) before it parses anything,
     * which was most of a short command's start-up (docs/benchmarks.md, start-up of the release).
     */
    private static final List<Map.Entry<List<String>, Supplier<Object>>> COMMANDS = List.of(
            Map.entry(List.of("replicate"), ReplicateCommand::new),
            Map.entry(List.of("restore"), RestoreCommand::spec),
            Map.entry(List.of("ltx", "wal"), LtxCommand::new),
            Map.entry(List.of("status"), StatusCommand::new),
            Map.entry(List.of("databases"), DatabasesCommand::new),
            Map.entry(List.of("start"), StartStopCommands.Start::new),
            Map.entry(List.of("stop"), StartStopCommands.Stop::new),
            Map.entry(List.of("sync"), SyncCommand::new),
            Map.entry(List.of("register"), RegisterCommands.Register::new),
            Map.entry(List.of("unregister"), RegisterCommands.Unregister::new),
            Map.entry(List.of("list"), ListInfoCommands.ListDatabases::new),
            Map.entry(List.of("info"), ListInfoCommands.Info::new),
            Map.entry(List.of("reset"), ResetCommand::new),
            Map.entry(List.of("verify"), VerifyCommand::new),
            Map.entry(List.of("version"), VersionCommand::spec),
            Map.entry(List.of("help"), HelpCommand::new));

    private static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    /**
     * The command line for a run whose first argument is {@code first} (null: none): only that
     * subcommand when it names one, else all of them (help, usage and "unknown command" list them).
     * The help command is the exception: it describes the others, so it gets all of them.
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String first) {
        // picocli's default factory otherwise looks for Groovy's Closure class when first used: a
        // class that is nowhere, so the lookup opened every jar on the class path, a third of
        // `version`'s CPU time (docs/benchmarks.md, start-up of the release). We have no Groovy.
        System.setProperty("picocli.disable.closures", "true");
        // picocli registers converters for java.sql and java.time types by reflection (a class
        // lookup and a method lookup each) in every command line it builds; no option of ours
        // has such a type (String, boolean, int, Path), so they are left out. A -D on the command
        // line wins.
        if (System.getProperty(CONVERTER_EXCLUDES) == null) {
            System.setProperty(CONVERTER_EXCLUDES, "java\\.sql\\..*,java\\.time\\..*");
        }
        CommandLine cli = new CommandLine(LitestreamCommand.spec());
        boolean one = first != null && !first.equals("help")
                && COMMANDS.stream().anyMatch(c -> c.getKey().contains(first));
        for (Map.Entry<List<String>, Supplier<Object>> command : COMMANDS) {
            if (!one || command.getKey().contains(first)) {
                cli.addSubcommand(command.getValue().get());
            }
        }
        // picocli converts a Path by reflection (it supports Java 5), whose accessor classes every
        // restore spun at run time; a lambda of ours is in the start-up cache. After the
        // subcommands: registering reaches those already added.
        cli.registerConverter(Path.class, value -> Path.of(value));
        cli.setOut(out);
        cli.setErr(err);
        cli.setPosixClusteredShortOptionsAllowed(false);
        cli.setUnmatchedOptionsArePositionalParams(false);
        addHelpOption(cli);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(errorLine(e));
            return 1;
        });
        return cli;
    }

    /** A command's failure: its message, or its type when it has none, and the cause that says more; never "null". */
    static String errorLine(Exception e) {
        return "Error: " + ReplicaHealth.describe(e);
    }

    /** {@code -h}, {@code -help} and {@code --help} on every command, the top-level one included: usage on stdout, exit 0. */
    private static void addHelpOption(CommandLine cmd) {
        if (cmd.getCommandSpec().findOption("-h") == null) {
            cmd.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder("-h", "-help", "--help")
                    .usageHelp(true).description("show this help").build());
        }
        cmd.getSubcommands().values().forEach(Main::addHelpOption);
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
            err.println("Error: " + describe(e, args));
            err.println("Try: " + cmd.getCommandSpec().qualifiedName() + " -h");
        }
        return 1;
    }

    /**
     * picocli's message, told in the user's terms: an unknown flag alone (not the arguments after
     * it, which picocli also counts as unmatched once the flag is unknown), with the closest flags
     * the command has; and a flag named as the user typed it ({@code -o}), not by its longest
     * name ({@code --o}).
     */
    static String describe(CommandLine.ParameterException e, String[] args) {
        if (e instanceof CommandLine.UnmatchedArgumentException u) {
            List<String> flags = u.getUnmatched().stream().filter(a -> a.startsWith("-") && a.length() > 1).toList();
            if (!flags.isEmpty()) {
                String flag = flags.getFirst();
                String name = flag.contains("=") ? flag.substring(0, flag.indexOf('=')) : flag;
                List<String> close = closeFlags(name, e.getCommandLine().getCommandSpec());
                return "unknown flag " + name + (close.isEmpty() ? "" : " (did you mean " + String.join(" or ", close) + "?)");
            }
        }
        String message = e.getMessage();
        List<CommandLine.Model.ArgSpec> named = e instanceof CommandLine.MissingParameterException m ? m.getMissing()
                : e.getArgSpec() != null ? List.of(e.getArgSpec()) : List.of();
        for (CommandLine.Model.ArgSpec arg : named) {
            String typed = arg instanceof CommandLine.Model.OptionSpec option ? typedName(option, args) : null;
            if (typed != null) {
                for (String name : ((CommandLine.Model.OptionSpec) arg).names()) {
                    message = message.replace("'" + name + "'", "'" + typed + "'");
                }
            }
        }
        return message;
    }

    /**
     * The command's one-dash flags the user probably meant by {@code typed}: those at most two
     * edits away, and one whose name starts it ({@code -ouput}: {@code -o}).
     */
    static List<String> closeFlags(String typed, CommandLine.Model.CommandSpec spec) {
        String word = typed.replaceFirst("^--?", "-");
        return spec.options().stream().flatMap(o -> java.util.Arrays.stream(o.names())).filter(n -> !n.startsWith("--"))
                .filter(n -> editDistance(word, n) <= 2 || word.startsWith(n)).distinct().sorted().toList();
    }

    /** Levenshtein distance: insertions, deletions and substitutions. */
    private static int editDistance(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    /** The name of {@code option} the user typed ({@code -o} or {@code --o}, maybe as {@code -o=x}), or null. */
    private static String typedName(CommandLine.Model.OptionSpec option, String[] args) {
        for (String arg : args) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (List.of(option.names()).contains(name)) {
                return name;
            }
        }
        return null;
    }
}
