package io.litestream4j.bench.compare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every measured value, by metric and then by tool, in the order measured. */
final class Samples {
    private final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();

    void add(String metric, Tool tool, double value) {
        add(metric, tool.name(), value);
    }

    void add(String metric, String tool, double value) {
        values.computeIfAbsent(metric, m -> new LinkedHashMap<>()).computeIfAbsent(tool, t -> new ArrayList<>()).add(value);
    }

    List<Double> of(String metric, String tool) {
        return values.getOrDefault(metric, Map.of()).getOrDefault(tool, List.of());
    }

    Map<String, Map<String, List<Double>>> all() {
        return values;
    }

    /**
     * The middle value, or the mean of the two middle values of an even count: with two rounds the
     * nearest-rank median is the lower of the two, which hid a round with three new files behind
     * one with none.
     */
    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Nearest-rank percentile; NaN when there is nothing. */
    static double percentile(List<Double> xs, double p) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }
}
