package io.litestream4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code bin/litestream} launcher as a separate process, as a user would. */
final class CliProcess {
    /**
     * Every process started and not yet known to have ended. A test that fails before it stops its
     * replicator would leave it running after the test JVM exits (seen: four orphaned replicators
     * adding load to the next runs), so whatever is left is killed when the JVM exits.
     */
    private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        })));
    }

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private CliProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Path launcher() {
        String root = System.getProperty("project.root");
        Path dir = root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
        Path bin = dir.resolve("bin").resolve("litestream");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("launcher not found at " + bin);
        }
        return bin;
    }

    /** Writes {@code yaml} as {@code dir/litestream.yml} and returns its path, for {@code -config}. */
    static Path writeConfig(Path dir, String yaml) throws IOException {
        Path file = dir.resolve("litestream.yml");
        Files.writeString(file, yaml);
        return file;
    }

    /** Starts {@code bin/litestream args...} in {@code cwd}. */
    static CliProcess start(Path cwd, String... args) throws IOException {
        return start(java.util.Map.of(), cwd, args);
    }

    /** Starts {@code bin/litestream args...} in {@code cwd} with extra environment variables. */
    static CliProcess start(java.util.Map<String, String> env, Path cwd, String... args) throws IOException {
        return startUnder(List.of(), env, cwd, args);
    }

    /**
     * Starts {@code wrapper... bin/litestream args...}: a tool that runs the launcher as its child
     * and ends when it does (strace). {@link #pid} is then the wrapper's.
     */
    static CliProcess startUnder(List<String> wrapper, java.util.Map<String, String> env, Path cwd, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        // SIGHUP back to its default first: a test run started under nohup would hand its
        // "ignore SIGHUP" down to the replicator, which then (rightly) keeps ignoring it, and the
        // SIGHUP tests would wait for nothing. env execs the launcher, which execs java: one pid.
        cmd.addAll(List.of("env", "--default-signal=HUP"));
        cmd.add(launcher().toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("litestream-out", ".txt");
        Path err = Files.createTempFile("litestream-err", ".txt");
        // Read after the process ends, as often as a test likes; gone with the test JVM (they had
        // piled up in /tmp: 29,372 on the build machine, which every lz4-java load lists).
        out.toFile().deleteOnExit();
        err.toFile().deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process process = pb.start();
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
        return new CliProcess(process, out, err);
    }

    /** Runs to completion (at most {@code timeout}). */
    static Result run(Path cwd, Duration timeout, String... args) throws Exception {
        CliProcess p = start(cwd, args);
        return p.await(timeout);
    }

    static Result run(Path cwd, String... args) throws Exception {
        return run(cwd, Duration.ofSeconds(60), args);
    }

    static Result run(java.util.Map<String, String> env, Path cwd, String... args) throws Exception {
        return start(env, cwd, args).await(Duration.ofSeconds(60));
    }

    Result await(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError("bin/litestream did not exit within " + timeout + "\n" + output());
        }
        return output();
    }

    Result output() throws IOException {
        int code = process.isAlive() ? -1 : process.exitValue();
        return new Result(code, Files.readString(stdout, StandardCharsets.UTF_8), Files.readString(stderr, StandardCharsets.UTF_8));
    }

    /** SIGTERM to the JVM (the launcher execs java, so the pid is the JVM's). */
    void terminate() {
        process.destroy();
    }

    /** Sends signal {@code name} ({@code HUP}, {@code INT}...) to the JVM. */
    void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", name, String.valueOf(process.pid())).inheritIO().start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -s " + name + " " + process.pid() + " failed");
        }
    }

    /** SIGKILL: no shutdown, no final sync. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("process still alive 60 s after SIGKILL");
        }
    }

    /** The JVM's pid (the launcher execs java). */
    long pid() {
        return process.pid();
    }

    /** Waits at most {@code timeout} for the process to end; false if it still runs. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGKILL to the process and everything it started (a wrapper such as strace, and the JVM under it). */
    void killTree() throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        kill();
        for (ProcessHandle h : tree) {
            if (!h.onExit().completeOnTimeout(h, 60, TimeUnit.SECONDS).join().isAlive()) {
                continue;
            }
            throw new AssertionError("pid " + h.pid() + " still alive 60 s after SIGKILL");
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until stderr contains {@code text} or the process exits or the time runs out. */
    boolean awaitLog(String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(stderr, StandardCharsets.UTF_8).contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
            Thread.sleep(20);
        }
        return false;
    }
}
