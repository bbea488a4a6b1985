package io.litestream4j.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A {@code replicate} process and what /proc says of it. {@code bin/litestream} execs the JVM, so
 * the launched pid is the replicator's for both tools.
 */
final class RunningReplicator implements AutoCloseable {
    private static final double CLOCK_TICKS = 100; // USER_HZ on Linux

    private final Process process;
    private final Path log;

    private RunningReplicator(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static RunningReplicator start(Tool tool, Path db, Path replica, Path log) throws IOException {
        return new RunningReplicator(tool.process(tool.replicate(db, replica), log).start(), log);
    }

    /** User plus system CPU time so far, in seconds. */
    double cpuSeconds() throws IOException {
        checkAlive();
        String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS;
    }

    /** The largest resident set so far (VmHWM), in MiB. */
    double peakRssMib() throws IOException {
        checkAlive();
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        throw new IOException("no VmHWM in /proc/" + process.pid() + "/status");
    }

    private void checkAlive() throws IOException {
        if (!process.isAlive()) {
            throw new IOException("the replicator exited with " + process.exitValue() + "; its log: " + log);
        }
    }

    /** Stops every thread of the replicator at once (SIGSTOP), as a crash at this moment would. */
    void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
        if (exit != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " exited with " + exit);
        }
    }

    /** SIGTERM, as a service manager stops it; both tools sync once more on the way out. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
