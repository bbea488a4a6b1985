package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Brings a running replicator to a still, known state: writers for a while, then {@code sync -wait} through its control socket. */
final class QuietAfterWrites {
    private QuietAfterWrites() {}

    /**
     * Two writers commit into {@code db} for {@code writing}, then {@code sync -wait} returns once
     * every replica holds all of it. Returns that TXID as 16 hex digits: with no more writes, the
     * database, its local state and its replicas all stay at it.
     */
    static String txid(Path cwd, Path db, Path socket, Duration writing) throws Exception {
        try (RowWriters writers = new RowWriters(db, 2, Duration.ofMillis(5))) {
            Thread.sleep(writing.toMillis());
            writers.stop();
        }
        CliProcess.Result synced = CliProcess.run(cwd, "sync", "-wait", "-socket", socket.toString(), db.toString());
        assertThat(synced.code()).as(synced.toString()).isZero();
        Matcher m = Pattern.compile("(?m)^txid: (\\d+)$").matcher(synced.out());
        assertThat(m.find()).as(synced.out()).isTrue();
        return "%016x".formatted(Long.parseLong(m.group(1)));
    }
}
