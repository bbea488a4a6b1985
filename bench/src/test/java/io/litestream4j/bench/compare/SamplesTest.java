package io.litestream4j.bench.compare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesTest {
    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(Samples.median(List.of(3.0, 0.0))).isEqualTo(1.5);
        assertThat(Samples.median(List.of(4.0, 1.0, 2.0, 10.0))).isEqualTo(3.0);
    }

    @Test
    void theMedianOfAnOddCountIsTheMiddleValue() {
        assertThat(Samples.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(Samples.median(List.of())).isNaN();
    }

    @Test
    void percentilesAreNearestRank() {
        List<Double> hundred = java.util.stream.IntStream.rangeClosed(1, 100).mapToObj(i -> (double) i).toList();
        assertThat(Samples.percentile(hundred, 99)).isEqualTo(99.0);
        assertThat(Samples.percentile(List.of(7.0, 3.0), 99)).isEqualTo(7.0);
    }
}
