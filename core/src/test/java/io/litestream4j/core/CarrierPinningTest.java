package io.litestream4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our TRUNCATE checkpoint waiting for an application's reader must not pin its virtual thread's
 * carrier: with SQLite's busy handler the wait sleeps inside the native call, and on a machine
 * with as many carriers as such waits, every other virtual thread (uploads, other databases'
 * syncs) stops for the whole busy timeout. The probe runs in a JVM with one carrier.
 */
@Timeout(180) // many times its usual time on a busy machine; it ends a hang, not a slow run
class CarrierPinningTest {
    /**
     * Real time is the point: how long another virtual thread went without running. Its tick is
     * 5 ms; a loaded 2-core machine adds scheduling delays, far below the 3 s busy timeout a
     * pinned carrier loses.
     */
    private static final long MAX_GAP_MILLIS = 1000;

    @TempDir
    Path dir;

    @Test
    void aTruncateCheckpointWaitingForReadersLeavesTheCarrierToOtherVirtualThreads() throws Exception {
        // The probe runs everything from the class path: inside the module (how these tests run)
        // the main classes and sqlite-jdbc are on the module path instead.
        String classPath = String.join(java.io.File.pathSeparator, java.util.stream.Stream.of(
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), System.getProperty("jdk.module.path"))
                .filter(s -> s != null && !s.isBlank()).toList());
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1",
                "-cp", classPath, CarrierPinningProbe.class.getName(), dir.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("probe.log").toFile()).start();
        try {
            assertThat(p.waitFor(150, TimeUnit.SECONDS)).as("probe finished").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("probe.log"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("probe exit status; output:%n%s", out).isZero();
        Matcher m = Pattern.compile("checkpointRan=(\\w+) checkpointMillis=(\\d+) longestGapMillis=(\\d+)").matcher(out);
        assertThat(m.find()).as("probe output:%n%s", out).isTrue();
        System.out.println("CarrierPinningTest: " + m.group());
        assertThat(m.group(1)).as("the TRUNCATE checkpoint ran").isEqualTo("true");
        assertThat(Long.parseLong(m.group(2))).as("the checkpoint waited for the reader about the busy timeout")
                .isGreaterThanOrEqualTo(CarrierPinningProbe.BUSY_TIMEOUT.toMillis() * 9 / 10);
        assertThat(Long.parseLong(m.group(3))).as("longest time the other virtual thread could not run, in ms")
                .isLessThan(MAX_GAP_MILLIS);
    }
}
