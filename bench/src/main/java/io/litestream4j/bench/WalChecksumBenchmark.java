package io.litestream4j.bench;

import io.litestream4j.core.wal.WalChecksum;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SQLite's WAL checksum over one MiB of frames, as every sync computes it over the frames it
 * copies (and the checkpoint under the barrier over the WAL's tail, while writers wait). The
 * score in ops/s reads as MiB/s.
 *
 * <p>Run: {@code ./mvnw -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar WalChecksum}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class WalChecksumBenchmark {
    /** The byte order the WAL magic names: false (0x377f0682) is what SQLite writes on x86 and ARM. */
    @Param({"true", "false"})
    public boolean bigEndian;

    private byte[] data;

    @Setup
    public void setUp() {
        data = new byte[1 << 20];
        new Random(42).nextBytes(data);
    }

    @Benchmark
    public long checksumOneMiB() {
        return WalChecksum.update(bigEndian, 0, data, 0, data.length);
    }
}
