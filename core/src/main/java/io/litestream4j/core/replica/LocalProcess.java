package io.litestream4j.core.replica;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Names a process so that another process on the same machine can tell, for certain, that it is
 * gone: {@code <boot id> <pid namespace> <pid> <start time in ms>} (Linux only). A lease whose
 * holder is provably gone can be taken at once, so a replicator restarted after a crash (systemd's
 * {@code Restart=always}) does not wait out its predecessor's lease.
 *
 * <p>"Gone" is claimed only when the kernel instance (boot id) and the pid namespace are ours,
 * so the pid means the same process to both of us, and no process with that pid and start time
 * exists. Another host, another container, another boot, or no name at all: never gone, and the
 * lease must expire.
 */
final class LocalProcess {
    private LocalProcess() {}

    /** This process's name, or "" where the platform gives no boot id or pid namespace. */
    static String current() {
        ProcessHandle self = ProcessHandle.current();
        return machine().flatMap(m -> self.info().startInstant().map(start -> m + " " + self.pid() + " " + start.toEpochMilli())).orElse("");
    }

    /** True only if {@code name} (from {@link #current}) is a process of this machine and namespace that has ended. */
    static boolean isGone(String name) {
        String[] parts = name.strip().split(" ");
        Optional<String> machine = machine();
        if (parts.length != 4 || machine.isEmpty() || !machine.get().equals(parts[0] + " " + parts[1])) {
            return false;
        }
        long pid;
        long startMillis;
        try {
            pid = Long.parseLong(parts[2]);
            startMillis = Long.parseLong(parts[3]);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isEmpty() || !p.get().isAlive()) {
            return true;
        }
        Optional<Instant> start = p.get().info().startInstant();
        // The pid was reused by a later process. Unknown start: assume alive.
        return start.isPresent() && start.get().toEpochMilli() != startMillis;
    }

    /** {@code <boot id> <pid namespace>}, or empty off Linux. */
    private static Optional<String> machine() {
        try {
            String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
            String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString().replaceAll("[^0-9]", "");
            return boot.isEmpty() || ns.isEmpty() ? Optional.empty() : Optional.of(boot + " " + ns);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }
}
