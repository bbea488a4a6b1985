package io.litestream4j.bench;

import io.litestream4j.ltx.Crc64;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CRC-64/ISO of 4 KiB pages: {@link Crc64} (table-free steps for the sparse ISO polynomial, eight
 * lanes) against the slicing-by-8 tables in four lanes it replaced (kept here, {@link
 * SlicingBy8}, as the baseline), and the JDK's CRC32C (a CPU instruction, another polynomial) as
 * the ceiling no Java CRC-64 reaches.
 *
 * <p>One operation is one MiB (256 pages of 4 KiB, each hashed on its own as the LTX code does),
 * so ops/s reads as MiB/s.
 *
 * <p>Run: {@code ./mvnw -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar Crc64Benchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class Crc64Benchmark {
    private static final int PAGE_SIZE = 4096;
    private static final int PAGES = 256;

    private byte[][] pages;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        pages = new byte[PAGES][PAGE_SIZE];
        for (byte[] p : pages) {
            random.nextBytes(p);
        }
        for (byte[] p : pages) {
            if (SlicingBy8.of(p) != Crc64.of(p)) {
                throw new AssertionError("the baseline and Crc64 disagree");
            }
        }
    }

    @Benchmark
    public long crc64() {
        long sum = 0;
        for (byte[] p : pages) {
            sum += Crc64.of(p);
        }
        return sum;
    }

    @Benchmark
    public long slicingBy8FourLanes() {
        long sum = 0;
        for (byte[] p : pages) {
            sum += SlicingBy8.of(p);
        }
        return sum;
    }

    @Benchmark
    public long crc32cIntrinsic() {
        long sum = 0;
        CRC32C crc = new CRC32C();
        for (byte[] p : pages) {
            crc.reset();
            crc.update(p, 0, PAGE_SIZE);
            sum += crc.getValue();
        }
        return sum;
    }

    /** The CRC-64 kernel before the table-free steps (ltx at 82d54f7), for whole 4 KiB pages only. */
    static final class SlicingBy8 {
        private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final long[][] T = tables();
        private static final int LANE = 1024;

        static long of(byte[] b) {
            long[] t0 = T[0], t1 = T[1], t2 = T[2], t3 = T[3], t4 = T[4], t5 = T[5], t6 = T[6], t7 = T[7];
            long r0 = -1, r1 = -1, r2 = -1, r3 = -1;
            for (int j = 0; j < LANE; j += 8) {
                long a = (long) LONG_LE.get(b, j) ^ r0;
                long c = (long) LONG_LE.get(b, j + LANE) ^ r1;
                long d = (long) LONG_LE.get(b, j + 2 * LANE) ^ r2;
                long e = (long) LONG_LE.get(b, j + 3 * LANE) ^ r3;
                r0 = t7[(int) a & 0xff] ^ t6[(int) (a >>> 8) & 0xff] ^ t5[(int) (a >>> 16) & 0xff] ^ t4[(int) (a >>> 24) & 0xff]
                        ^ t3[(int) (a >>> 32) & 0xff] ^ t2[(int) (a >>> 40) & 0xff] ^ t1[(int) (a >>> 48) & 0xff] ^ t0[(int) (a >>> 56)];
                r1 = t7[(int) c & 0xff] ^ t6[(int) (c >>> 8) & 0xff] ^ t5[(int) (c >>> 16) & 0xff] ^ t4[(int) (c >>> 24) & 0xff]
                        ^ t3[(int) (c >>> 32) & 0xff] ^ t2[(int) (c >>> 40) & 0xff] ^ t1[(int) (c >>> 48) & 0xff] ^ t0[(int) (c >>> 56)];
                r2 = t7[(int) d & 0xff] ^ t6[(int) (d >>> 8) & 0xff] ^ t5[(int) (d >>> 16) & 0xff] ^ t4[(int) (d >>> 24) & 0xff]
                        ^ t3[(int) (d >>> 32) & 0xff] ^ t2[(int) (d >>> 40) & 0xff] ^ t1[(int) (d >>> 48) & 0xff] ^ t0[(int) (d >>> 56)];
                r3 = t7[(int) e & 0xff] ^ t6[(int) (e >>> 8) & 0xff] ^ t5[(int) (e >>> 16) & 0xff] ^ t4[(int) (e >>> 24) & 0xff]
                        ^ t3[(int) (e >>> 32) & 0xff] ^ t2[(int) (e >>> 40) & 0xff] ^ t1[(int) (e >>> 48) & 0xff] ^ t0[(int) (e >>> 56)];
            }
            long crc = Crc64.combine(~r0, ~r1, LANE);
            crc = Crc64.combine(crc, ~r2, LANE);
            return Crc64.combine(crc, ~r3, LANE);
        }

        private static long[][] tables() {
            long[][] t = new long[8][256];
            for (int n = 0; n < 256; n++) {
                long crc = n;
                for (int k = 0; k < 8; k++) {
                    crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0xD800000000000000L : crc >>> 1;
                }
                t[0][n] = crc;
            }
            for (int n = 0; n < 256; n++) {
                for (int k = 1; k < 8; k++) {
                    t[k][n] = t[0][(int) t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8);
                }
            }
            return t;
        }
    }
}
