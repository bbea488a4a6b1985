package io.litestream4j.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The application {@code replicate -exec} runs: started once replication is running, sharing our
 * standard input, output and error, and sent the SIGINT, SIGTERM or SIGHUP we receive.
 */
final class ChildProcess {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    /** Names of the signals that commonly end a process; the numbers are the same on Linux and macOS. */
    private static final Map<Integer, String> SIGNALS = Map.of(1, "SIGHUP", 2, "SIGINT", 3, "SIGQUIT", 6, "SIGABRT", 9, "SIGKILL", 11, "SIGSEGV",
            13, "SIGPIPE", 14, "SIGALRM", 15, "SIGTERM");

    private final Process process;
    private final String command;
    private boolean exitLogged;

    private ChildProcess(Process process, String command) {
        this.process = process;
        this.command = command;
    }

    /**
     * Fails now, before replication starts, if {@code commandLine} cannot be split into words or
     * names a program that is not there.
     */
    static void check(String commandLine) throws IOException {
        String program = ShellWords.split(commandLine).getFirst();
        String missing = missing(program);
        if (missing != null) {
            throw new IOException("-exec: " + missing);
        }
    }

    static ChildProcess start(String commandLine) throws IOException {
        List<String> argv = ShellWords.split(commandLine);
        Process p;
        try {
            p = new ProcessBuilder(argv).inheritIO().start();
        } catch (IOException e) {
            // The message says it all: Java's wording ("error=2") is not repeated as a cause.
            String missing = missing(argv.getFirst());
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IOException("-exec: " + (missing != null ? missing
                    : "cannot start %s: %s".formatted(argv.getFirst(), m.replaceFirst("^Cannot run program \"[^\"]*\"(?: \\(in directory \"[^\"]*\"\\))?: ", ""))));
        }
        LOG.log(System.Logger.Level.INFO, "started {0} (pid {1})", argv.getFirst(), String.valueOf(p.pid()));
        return new ChildProcess(p, argv.getFirst());
    }

    /**
     * Why {@code program} cannot be run, as a shell would say it ("command not found: x"), or null
     * if it is there and executable.
     */
    static String missing(String program) {
        if (!program.contains("/")) {
            String path = System.getenv().getOrDefault("PATH", "");
            boolean found = Arrays.stream(path.split(File.pathSeparator))
                    .anyMatch(d -> Files.isRegularFile(Path.of(d.isEmpty() ? "." : d, program)) && Files.isExecutable(Path.of(d.isEmpty() ? "." : d, program)));
            return found ? null : "command not found: " + program;
        }
        Path p = Path.of(program);
        if (!Files.exists(p)) {
            return "no such file: " + program;
        }
        if (Files.isDirectory(p)) {
            return "is a directory: " + program;
        }
        return Files.isExecutable(p) ? null : "permission denied: " + program + " is not executable";
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends the signal we received ({@code INT}, {@code TERM} or {@code HUP}) on to the application. */
    void forward(String signal) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "sending SIG{0} to {1}", signal, command);
        if ("TERM".equals(signal)) {
            process.destroy(); // SIGTERM
            return;
        }
        // Java sends only SIGTERM and SIGKILL itself.
        Process kill = new ProcessBuilder("kill", "-s", signal, String.valueOf(process.pid())).inheritIO().start();
        kill.waitFor();
    }

    /**
     * Waits for the application to exit; its exit code (128 + signal if a signal ended it). The
     * exit is logged once, however many threads wait.
     */
    int waitFor() throws InterruptedException {
        int code = process.waitFor();
        synchronized (this) {
            if (!exitLogged) {
                exitLogged = true;
                LOG.log(System.Logger.Level.INFO, "{0} {1}", command, describeExit(code));
            }
        }
        return code;
    }

    /**
     * An exit status in words. Java reports a process ended by signal N as status 128 + N, as
     * shells do, so a status of 129 to 192 is told as that signal ({@code 137}: killed by signal 9,
     * SIGKILL); the status itself is kept in the text for a program that exits with it on purpose.
     */
    static String describeExit(int code) {
        if (code > 128 && code <= 128 + 64) {
            int signal = code - 128;
            String name = SIGNALS.get(signal);
            return "was killed by signal %d%s; exit status %d".formatted(signal, name != null ? " (" + name + ")" : "", code);
        }
        return "exited with status " + code;
    }
}
