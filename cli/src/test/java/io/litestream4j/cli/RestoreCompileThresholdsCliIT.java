package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's guess at where a restore reads from: from an object store or a server (a URL
 * other than file://, or a config naming a store) every method is compiled at the usual
 * thresholds, from NATS by the full compiler too; from a file replica at ten times them, by the
 * quick compiler only (docs/benchmarks.md, "Restores from every backend"). Read off the JVM's
 * own flags ({@code -XX:+PrintFlagsFinal}) of the real launcher.
 */
@Timeout(300)
class RestoreCompileThresholdsCliIT {
    private static final Pattern SCALING = Pattern.compile("double CompileThresholdScaling\\s+= ([0-9.]+)");
    private static final Pattern TIERS = Pattern.compile("intx TieredStopAtLevel\\s+= ([0-9]+)");

    /** The two flags that differ: the global compile threshold scaling and the highest compiler tier. */
    private record Compilers(double scaling, int topTier) {}

    @TempDir
    Path dir;

    @Test
    void aRestoreFromAStoreUrlIsCompiledAtTheUsualThresholds() throws Exception {
        assertThat(compilers("-o", "out.db", "s3://bucket/db")).isEqualTo(new Compilers(1.0, 1));
        assertThat(compilers("-o", "out.db", "abs://account@container/db")).isEqualTo(new Compilers(1.0, 1));
        assertThat(compilers("-o", "out.db", "nats://127.0.0.1:4222/bucket")).as("NATS: C2 too").isEqualTo(new Compilers(1.0, 4));
    }

    @Test
    void aRestoreFromAFileReplicaIsCompiledAtTenTimesThem() throws Exception {
        assertThat(compilers("-o", "out.db", "file://" + dir.resolve("replica"))).isEqualTo(new Compilers(10.0, 1));
        assertThat(compilers("-o", "out.db", dir.resolve("replica").toString())).isEqualTo(new Compilers(10.0, 1));
    }

    @Test
    void aConfigIsReadForTheStoreItNames() throws Exception {
        Path s3 = CliProcess.writeConfig(dir, """
                dbs:
                  - path: /var/lib/app.db
                    replicas:
                      - type: s3
                        bucket: backups
                """);
        assertThat(compilers("-config", s3.toString(), "/var/lib/app.db")).isEqualTo(new Compilers(1.0, 1));
        Path files = CliProcess.writeConfig(dir, """
                dbs:
                  - path: /var/lib/app.db
                    replica:
                      path: /backups/s3-copies
                """);
        assertThat(compilers("-config", files.toString(), "/var/lib/app.db")).isEqualTo(new Compilers(10.0, 1));
        Path nats = CliProcess.writeConfig(dir, """
                dbs:
                  - path: /var/lib/app.db
                    replica:
                      type: nats
                      url: nats://127.0.0.1:4222/backups
                """);
        assertThat(compilers("-config=" + nats, "/var/lib/app.db")).isEqualTo(new Compilers(1.0, 4));
    }

    /** The compile flags of {@code bin/litestream restore -h ARGS}. */
    private Compilers compilers(String... restoreArgs) throws Exception {
        String[] args = new String[restoreArgs.length + 2];
        args[0] = "restore";
        args[1] = "-h";
        System.arraycopy(restoreArgs, 0, args, 2, restoreArgs.length);
        // No config of the machine's (/etc/litestream.yml) may decide: LITESTREAM_CONFIG names none.
        Map<String, String> env = Map.of("LITESTREAM_JAVA_OPTS", "-XX:+PrintFlagsFinal", "LITESTREAM_CONFIG", dir.resolve("none.yml").toString());
        CliProcess.Result r = CliProcess.run(env, dir, args);
        assertThat(r.code()).as(r.toString()).isZero();
        Matcher scaling = SCALING.matcher(r.out());
        Matcher tiers = TIERS.matcher(r.out());
        assertThat(scaling.find() && tiers.find()).as("CompileThresholdScaling and TieredStopAtLevel among the JVM's flags\n" + r).isTrue();
        return new Compilers(Double.parseDouble(scaling.group(1)), Integer.parseInt(tiers.group(1)));
    }
}
