package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for a test, to run out of disk space for real (ENOSPC from the kernel,
 * not a simulation). Needs root. Where it cannot be mounted the test is skipped with the reason,
 * except under CI ({@code CI=true}), where CI runs as root and a skip would hide that the test
 * never ran: there it fails.
 */
public final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} on {@code dir} (created if missing). */
    public static Tmpfs mount(Path dir, long bytes) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String failure = run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString());
        if (failure != null) {
            String why = "cannot mount a tmpfs on " + dir + " (root needed): " + failure;
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why + "; CI runs as root, so this test must run there");
            }
            Assumptions.abort(why);
        }
        return new Tmpfs(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Changes the size: smaller than what is stored fails; bigger frees space at once. */
    public void resize(long bytes) throws IOException, InterruptedException {
        String failure = run("mount", "-o", "remount,size=" + bytes, dir.toString());
        if (failure != null) {
            throw new IOException("remount " + dir + " with size " + bytes + ": " + failure);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (run("umount", dir.toString()) != null) {
                run("umount", "-l", dir.toString()); // a file still open: detach now, freed when closed
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs a command; null on success, else its output and status. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", command) + ": no answer in 30 s";
        }
        String out = new String(p.getInputStream().readAllBytes()).strip();
        return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue() + ": " + out;
    }
}
