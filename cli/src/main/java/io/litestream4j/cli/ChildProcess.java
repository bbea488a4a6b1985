package io.litestream4j.cli;

import java.io.IOException;
import java.util.List;

/**
 * The application {@code replicate -exec} runs: started once replication is running, sharing our
 * standard input, output and error, and sent the SIGINT or SIGTERM we receive.
 */
final class ChildProcess {
    private static final System.Logger LOG = System.getLogger("litestream");

    private final Process process;
    private final String command;

    private ChildProcess(Process process, String command) {
        this.process = process;
        this.command = command;
    }

    static ChildProcess start(String commandLine) throws IOException {
        List<String> argv = ShellWords.split(commandLine);
        Process p;
        try {
            p = new ProcessBuilder(argv).inheritIO().start();
        } catch (IOException e) {
            throw new IOException("-exec: cannot start %s: %s".formatted(argv.getFirst(), e.getMessage()), e);
        }
        LOG.log(System.Logger.Level.INFO, "started {0} (pid {1})", argv.getFirst(), String.valueOf(p.pid()));
        return new ChildProcess(p, argv.getFirst());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends the signal we received ({@code INT} or {@code TERM}) on to the application. */
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

    /** Waits for the application to exit; its exit code (128 + signal if a signal ended it). */
    int waitFor() throws InterruptedException {
        int code = process.waitFor();
        LOG.log(System.Logger.Level.INFO, "{0} exited with status {1}", command, code);
        return code;
    }
}
