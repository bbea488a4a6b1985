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
 * thresholds; from a file replica at ten times them (docs/benchmarks.md, "Restores from every
 * backend"). Read off the JVM's own flags ({@code -XX:+PrintFlagsFinal}) of the real launcher.
 */
@Timeout(300)
class RestoreCompileThresholdsCliIT {
    private static final Pattern SCALING = Pattern.compile("double CompileThresholdScaling\\s+= ([0-9.]+)");

    @TempDir
    Path dir;

    @Test
    void aRestoreFromAStoreUrlIsCompiledAtTheUsualThresholds() throws Exception {
        assertThat(scaling("-o", "out.db", "s3://bucket/db")).isEqualTo(1.0);
        assertThat(scaling("-o", "out.db", "nats://127.0.0.1:4222/bucket")).isEqualTo(1.0);
    }

    @Test
    void aRestoreFromAFileReplicaIsCompiledAtTenTimesThem() throws Exception {
        assertThat(scaling("-o", "out.db", "file://" + dir.resolve("replica"))).isEqualTo(10.0);
        assertThat(scaling("-o", "out.db", dir.resolve("replica").toString())).isEqualTo(10.0);
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
        assertThat(scaling("-config", s3.toString(), "/var/lib/app.db")).isEqualTo(1.0);
        Path files = CliProcess.writeConfig(dir, """
                dbs:
                  - path: /var/lib/app.db
                    replica:
                      path: /backups/s3-copies
                """);
        assertThat(scaling("-config", files.toString(), "/var/lib/app.db")).isEqualTo(10.0);
    }

    /** The global CompileThresholdScaling of {@code bin/litestream restore -h ARGS}. */
    private double scaling(String... restoreArgs) throws Exception {
        String[] args = new String[restoreArgs.length + 2];
        args[0] = "restore";
        args[1] = "-h";
        System.arraycopy(restoreArgs, 0, args, 2, restoreArgs.length);
        // No config of the machine's (/etc/litestream.yml) may decide: LITESTREAM_CONFIG names none.
        Map<String, String> env = Map.of("LITESTREAM_JAVA_OPTS", "-XX:+PrintFlagsFinal", "LITESTREAM_CONFIG", dir.resolve("none.yml").toString());
        CliProcess.Result r = CliProcess.run(env, dir, args);
        assertThat(r.code()).as(r.toString()).isZero();
        Matcher m = SCALING.matcher(r.out());
        assertThat(m.find()).as("CompileThresholdScaling among the JVM's flags\n" + r).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
