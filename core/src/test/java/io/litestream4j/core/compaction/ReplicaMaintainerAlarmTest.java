package io.litestream4j.core.compaction;

import io.litestream4j.CompactionSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.FakeClock;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.ReplicationEvents;
import io.litestream4j.core.replica.FileReplicaClient;
import io.litestream4j.core.replica.ForwardingClient;
import io.litestream4j.ltx.TxidRange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failing compaction is an alarm, not a warning that repeats forever: a corrupt stored file
 * is an error at once, naming the file, counted as a failed read, and the replica is unhealthy
 * until compaction works again; other failures turn into errors after three rounds in a row.
 */
class ReplicaMaintainerAlarmTest {
    private static final Instant START = Instant.parse("2026-11-23T00:00:05Z");

    @TempDir
    Path dir;

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(ReplicaMaintainer.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    @BeforeEach
    void listen() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(capture);
    }

    private List<LogRecord> at(Level level) {
        return logged.stream().filter(r -> r.getLevel() == level).toList();
    }

    private static String text(LogRecord r) {
        return java.text.MessageFormat.format(r.getMessage(), r.getParameters());
    }

    /** {@code files}, whose reads fail with {@code message} while {@code down[0]} is true. */
    private static ForwardingClient failingReads(FileReplicaClient files, boolean[] down, String message) {
        return new ForwardingClient(files) {
            @Override
            public InputStream open(int level, TxidRange range) throws IOException {
                if (down[0]) {
                    throw new IOException(message);
                }
                return super.open(level, range);
            }
        };
    }

    @Test
    void aCorruptStoredFileIsAnErrorNamingItAndCounted() throws Exception {
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        // What an S3 server that keeps aws-chunked framing stores instead of an LTX file.
        byte[] framed = "20000;chunk-signature=0123456789abcdef\r\n".repeat(8).getBytes(StandardCharsets.US_ASCII);
        client.write(0, new TxidRange(1, 1), new ByteArrayInputStream(framed), framed.length, START);
        List<String> corrupt = new CopyOnWriteArrayList<>();
        ReplicationEvents events = new ReplicationEvents() {
            @Override
            public void replicaFileCorrupt(String replicaType, String errorCode) {
                corrupt.add(replicaType + " " + errorCode);
            }
        };
        FakeClock clock = new FakeClock(START);
        ReplicaHealth health = new ReplicaHealth();
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(client, dir.resolve("tmp")), CompactionSettings.defaults(), clock,
                health, events, null);
        clock.advance(Duration.ofSeconds(30));
        m.runDue(clock.instant());

        assertThat(health.problem("compact level 1")).contains("corrupt").contains("0000000000000001-0000000000000001.ltx");
        assertThat(at(Level.SEVERE)).hasSize(1);
        assertThat(text(at(Level.SEVERE).getFirst())).contains(client.location()).contains("compact level 1")
                .contains("level 0 file 0000000000000001-0000000000000001.ltx").contains("magic");
        assertThat(corrupt).containsExactly("file Corrupt");
    }

    @Test
    void repeatedFailuresBecomeAnAlarmAndClearWhenCompactionWorksAgain() throws Exception {
        FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"));
        files.write(0, new TxidRange(1, 1), new ByteArrayInputStream(new byte[] {1}), 1, START);
        boolean[] down = {true};
        ForwardingClient flaky = failingReads(files, down, "connection reset");
        FakeClock clock = new FakeClock(START);
        ReplicaHealth health = new ReplicaHealth();
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(flaky, dir.resolve("tmp")), CompactionSettings.defaults(), clock, health);
        for (int round = 1; round <= ReplicaMaintainer.ALARM_AFTER; round++) {
            clock.advance(Duration.ofSeconds(30));
            m.runDue(clock.instant());
            assertThat(health.problem("compact level 1")).as("round %d", round).contains("connection reset");
            assertThat(at(Level.SEVERE)).as("round %d", round).hasSize(round < ReplicaMaintainer.ALARM_AFTER ? 0 : 1);
        }
        assertThat(at(Level.WARNING)).hasSize(ReplicaMaintainer.ALARM_AFTER - 1);
        assertThat(text(at(Level.SEVERE).getFirst())).contains("failed 3 times in a row").contains("connection reset");

        // The store is back, but the file it holds is no LTX file: now that is the problem.
        down[0] = false;
        clock.advance(Duration.ofSeconds(30));
        m.runDue(clock.instant());
        assertThat(health.problem("compact level 1")).contains("corrupt");
    }

    @Test
    void aTaskThatFailedIsRetriedWithinSecondsAndHealthClearsWhenTheStorageReturns() throws Exception {
        FileReplicaClient files = new FileReplicaClient(dir.resolve("replica"));
        ReplicaMaintainerTest.Writer writer = new ReplicaMaintainerTest.Writer(files);
        writer.write(START);
        writer.write(START.plusSeconds(1));
        boolean[] down = {true};
        ForwardingClient outage = failingReads(files, down, "connection refused");
        FakeClock clock = new FakeClock(START);
        ReplicaHealth health = new ReplicaHealth();
        // the defaults, but retention checked hourly, so only level 1's retries are due in the minute this test covers
        CompactionSettings settings = new CompactionSettings(List.of(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(1)),
                Duration.ofHours(24), Duration.ofHours(24), Duration.ofMinutes(5), true, Duration.ofHours(1));
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(outage, dir.resolve("tmp")), settings, clock, health);
        clock.advance(Duration.ofSeconds(25)); // level 1's first run (every 30 s, on the wall clock's multiples)
        m.runDue(clock.instant());
        assertThat(health.problem("compact level 1")).contains("connection refused");
        // retried 1, 2, 4, 5, 5 s after each failure: never the 30 s of the level's interval
        for (long pause : new long[] {1, 2, 4, 5, 5}) {
            assertThat(Duration.between(clock.instant(), m.nextDue())).isEqualTo(Duration.ofSeconds(pause));
            clock.advance(Duration.ofSeconds(pause));
            m.runDue(clock.instant());
            assertThat(health.problem("compact level 1")).contains("connection refused");
        }
        down[0] = false; // the storage is back: the next retry, within 5 s, works and clears health
        assertThat(Duration.between(clock.instant(), m.nextDue())).isLessThanOrEqualTo(ReplicaMaintainer.MAX_RETRY);
        clock.advance(Duration.between(clock.instant(), m.nextDue()));
        m.runDue(clock.instant());
        assertThat(health.problem("compact level 1")).isNull();
        assertThat(files.listFiles(1, 0)).as("level 1 written by the retry").isNotEmpty();
        // working again: back on the level's schedule
        assertThat(Duration.between(clock.instant(), m.nextDue())).isGreaterThan(ReplicaMaintainer.MAX_RETRY);
    }

    @Test
    void aCorruptStoredFileIsNotRetriedBeforeItsSchedule() throws Exception {
        FileReplicaClient client = new FileReplicaClient(dir.resolve("replica"));
        byte[] junk = "not an ltx file at all, just text long enough to be read as a header".repeat(3).getBytes(StandardCharsets.US_ASCII);
        client.write(0, new TxidRange(1, 1), new ByteArrayInputStream(junk), junk.length, START);
        FakeClock clock = new FakeClock(START);
        ReplicaMaintainer m = new ReplicaMaintainer(new ReplicaCompactor(client, dir.resolve("tmp")), CompactionSettings.defaults(), clock,
                new ReplicaHealth());
        clock.advance(Duration.ofSeconds(25));
        m.runDue(clock.instant());
        assertThat(at(Level.SEVERE)).hasSize(1);
        // retrying never heals a corrupt file: the next try is at the next compaction or retention check, not in a second
        assertThat(Duration.between(clock.instant(), m.nextDue())).isGreaterThan(ReplicaMaintainer.MAX_RETRY);
    }
}
