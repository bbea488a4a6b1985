package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A lost connection cuts off the writes in flight, and only those ({@link WritesInFlight}). */
@Timeout(60)
class WritesInFlightTest {
    @Test
    void aWriteInFlightIsInterruptedAndEndsCutOffWithItsInterruptCleared() throws Exception {
        WritesInFlight writes = new WritesInFlight();
        CountDownLatch writing = new CountDownLatch(1);
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            writes.begin();
            writing.countDown();
            boolean interrupted;
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(50)); // a request waiting for an answer that never comes
                interrupted = false;
            } catch (InterruptedException e) {
                interrupted = true;
            }
            boolean cut = writes.end();
            outcome.complete("interrupted=" + interrupted + " cut=" + cut + " flagAfterEnd=" + Thread.currentThread().isInterrupted());
        });
        writing.await();
        writes.cutOff();
        assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo("interrupted=true cut=true flagAfterEnd=false");
        writer.join();
    }

    @Test
    void aWriteThatEndedIsNotInterruptedByALaterCutOff() throws Exception {
        WritesInFlight writes = new WritesInFlight();
        writes.begin();
        assertThat(writes.end()).as("not cut off").isFalse();
        writes.cutOff();
        assertThat(Thread.interrupted()).as("the ended write's thread was left alone").isFalse();

        writes.begin();
        writes.cutOff(); // a cut-off while this thread writes: its interrupt is pending
        assertThat(writes.end()).as("cut off").isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("our interrupt cleared at the end").isFalse();
        assertThat(writes.end()).as("ended once: nothing left to clear").isFalse();
    }
}
