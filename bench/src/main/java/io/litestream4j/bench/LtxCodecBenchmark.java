package io.litestream4j.bench;

import io.litestream4j.ltx.Crc64;
import io.litestream4j.ltx.LtxDecoder;
import io.litestream4j.ltx.LtxEncoder;
import io.litestream4j.ltx.LtxHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * LTX encode and decode-with-verification speed, single-threaded, on 4 KiB pages, next to the two
 * floors they cannot beat: raw CRC-64 and raw LZ4 over the same pages.
 *
 * <p>One operation is one MiB of page data (256 pages of 4 KiB), so the scores in ops/s read as
 * MiB/s of page data (multiply by 1.048576 for MB/s).
 *
 * <p>Run: {@code ./mvnw -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar LtxCodec}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class LtxCodecBenchmark {
    private static final int PAGE_SIZE = 4096;
    private static final int PAGES = 256;

    /** compressible: text-like rows as SQLite table pages hold them; random: incompressible. */
    @Param({"compressible", "random"})
    public String data;

    private byte[][] pages;
    private byte[] encoded;
    private byte[] page;
    private byte[] compressed;
    private int[] compressedLengths;
    private LZ4Compressor lz4;
    private LZ4SafeDecompressor unlz4;
    private final OutputStream sink = OutputStream.nullOutputStream();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Random random = new Random(42);
        pages = new byte[PAGES][];
        for (int i = 0; i < PAGES; i++) {
            pages[i] = data.equals("random") ? randomPage(random) : textPage(random, i);
        }
        page = new byte[PAGE_SIZE];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        encodeTo(out);
        encoded = out.toByteArray();
        lz4 = LZ4Factory.fastestInstance().fastCompressor();
        unlz4 = LZ4Factory.fastestInstance().safeDecompressor();
        int max = lz4.maxCompressedLength(PAGE_SIZE);
        compressed = new byte[PAGES * max];
        compressedLengths = new int[PAGES];
        for (int i = 0; i < PAGES; i++) {
            compressedLengths[i] = lz4.compress(pages[i], 0, PAGE_SIZE, compressed, i * max, max);
        }
    }

    private static byte[] randomPage(Random random) {
        byte[] b = new byte[PAGE_SIZE];
        random.nextBytes(b);
        return b;
    }

    /** Rows like "id|name|email|amount" packed into a page, the way a table's leaf page looks. */
    private static byte[] textPage(Random random, int n) {
        StringBuilder sb = new StringBuilder(PAGE_SIZE);
        int row = n * 40;
        while (sb.length() < PAGE_SIZE) {
            sb.append(row).append("|customer ").append(random.nextInt(5000)).append("|user").append(row)
                    .append("@example.com|").append(random.nextInt(100000)).append('|');
            row++;
        }
        return sb.substring(0, PAGE_SIZE).getBytes(StandardCharsets.US_ASCII);
    }

    private long encodeTo(OutputStream out) throws IOException {
        LtxEncoder encoder = new LtxEncoder(out, LtxHeader.of(PAGE_SIZE, PAGES, 1, 1, 0, 0), "bench.ltx");
        for (int i = 0; i < PAGES; i++) {
            encoder.writePage(i + 1, pages[i]);
        }
        return encoder.finish(encoder.snapshotChecksum()).fileChecksum();
    }

    @Benchmark
    public long encode() throws IOException {
        return encodeTo(sink);
    }

    /** Decodes every page and verifies the whole file: frames, index, file and database checksums. */
    @Benchmark
    public long decodeAndVerify() throws IOException {
        LtxDecoder decoder = new LtxDecoder(new ByteArrayInputStream(encoded), "bench.ltx");
        long sum = 0;
        int pgno;
        while ((pgno = decoder.readPage(page)) != 0) {
            sum += pgno + page[0];
        }
        return sum + decoder.trailer().fileChecksum();
    }

    /** Floor: CRC-64 of the page data alone. */
    @Benchmark
    public long rawCrc64() {
        long crc = 0;
        for (byte[] p : pages) {
            crc = Crc64.update(crc, p, 0, PAGE_SIZE);
        }
        return crc;
    }

    /** Floor for encoding: LZ4 block compression of each page alone. */
    @Benchmark
    public void rawLz4Compress(Blackhole bh) {
        int max = lz4.maxCompressedLength(PAGE_SIZE);
        for (int i = 0; i < PAGES; i++) {
            bh.consume(lz4.compress(pages[i], 0, PAGE_SIZE, compressed, i * max, max));
        }
    }

    /** Floor for decoding: LZ4 block decompression of each page alone. */
    @Benchmark
    public void rawLz4Decompress(Blackhole bh) {
        int max = lz4.maxCompressedLength(PAGE_SIZE);
        for (int i = 0; i < PAGES; i++) {
            bh.consume(unlz4.decompress(compressed, i * max, compressedLengths[i], page, 0, PAGE_SIZE));
        }
    }
}
