package io.litestream4j.bench.compare;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The table of medians, the targets met or missed, and the same as JSON. */
final class Report {
    private final Samples samples;
    private final List<Tool> tools;
    private final String ours;
    private final String theirs;
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Object> targets = new LinkedHashMap<>();

    /** One line of the table: a label and how to reduce a tool's samples to one number. */
    private record Row(String label, Function<String, Double> value, boolean ratio) {}

    Report(Samples samples, List<Tool> tools) {
        this.samples = samples;
        this.tools = tools;
        this.ours = tools.get(0).name();
        this.theirs = tools.get(1).name();
        pooled("data-loss window p50, ms", "loss_window_ms", 50);
        pooled("data-loss window p90, ms", "loss_window_ms", 90);
        pooled("data-loss window p99, ms", "loss_window_ms", 99);
        pooled("data-loss window max, ms", "loss_window_ms", 100);
        row("copies that failed to restore", t -> sum("loss_failed_restores", t), false);
        row("tool frozen for each copy, median ms", t -> median("loss_copy_ms", t), false);
        row("writer, one-row tx/s (none: " + "%.0f".formatted(median("writer_tx_per_s", "none")) + ")", t -> median("writer_tx_per_s", t), true);
        row("writer throughput loss, %", this::throughputLossPercent, false);
        row("replicator CPU over the writes, s", t -> median("writer_replicator_cpu_s", t), true);
        row("replicator peak RSS, MiB", t -> median("writer_replicator_peak_rss_mib", t), true);
        row("idle 30 s after a burst: new files", t -> median("idle_first_new_files", t), false);
        row("idle 30 s after a burst: CPU %", t -> 100 * median("idle_first_cpu_s", t) / CompareBench.IDLE_SECONDS, false);
        row("the next 30 s: new files", t -> median("idle_second_new_files", t), false);
        row("the next 30 s: CPU %", t -> 100 * median("idle_second_cpu_s", t) / CompareBench.IDLE_SECONDS, false);
        for (int p : new int[] {50, 99, 100}) {
            String which = p == 100 ? "max" : "p" + p;
            row("app FULL/RESTART/TRUNCATE checkpoint " + which + ", ms (none: " + format(percentile("app_checkpoint_ms", "none", p)) + ")",
                    t -> percentile("app_checkpoint_ms", t, p), true);
        }
        row("app checkpoints busy after waiting (none: " + format(sum("app_checkpoint_busy", "none")) + ")",
                t -> sum("app_checkpoint_busy", t), false);
        row("app checkpoints busy at once, another checkpoint running (none: " + format(sum("app_checkpoint_locked_out", "none")) + ")",
                t -> sum("app_checkpoint_locked_out", t), false);
        row("app writers' SQLITE_BUSY errors (none: " + format(sum("app_writer_busy", "none")) + ")", t -> sum("app_writer_busy", t), false);
        row("start-up: launch to first replica file, s", t -> median("startup_first_file_s", t), true);
        row("start-up: restore of a small database, s", t -> median("startup_restore_small_s", t), true);

        target("data-loss window p99 at most 50 ms", percentile("loss_window_ms", ours, 99) <= 50, percentile("loss_window_ms", ours, 99));
        target("writer throughput loss at most 3%", throughputLossPercent(ours) <= 3, throughputLossPercent(ours));
        target("idle: zero new files and under 1% CPU (the 30 s after a burst)",
                median("idle_first_new_files", ours) == 0 && median("idle_first_cpu_s", ours) / CompareBench.IDLE_SECONDS < 0.01,
                median("idle_first_cpu_s", ours));
        target("idle: zero new files and under 1% CPU (the next 30 s)",
                median("idle_second_new_files", ours) == 0 && median("idle_second_cpu_s", ours) / CompareBench.IDLE_SECONDS < 0.01,
                median("idle_second_cpu_s", ours));
        target("peak RSS at most 2x Litestream's",
                median("writer_replicator_peak_rss_mib", ours) <= 2 * median("writer_replicator_peak_rss_mib", theirs),
                median("writer_replicator_peak_rss_mib", ours), median("writer_replicator_peak_rss_mib", theirs));
        target("app checkpoints: none busy after waiting, no writer SQLITE_BUSY, each under 500 ms",
                sum("app_checkpoint_busy", ours) == 0 && sum("app_writer_busy", ours) == 0 && percentile("app_checkpoint_ms", ours, 100) < 500,
                percentile("app_checkpoint_ms", ours, 100));
        target("restore of a small database under 1 s end to end", median("startup_restore_small_s", ours) < 1, median("startup_restore_small_s", ours));
    }

    private void pooled(String label, String metric, double p) {
        row(label, t -> percentile(metric, t, p), true);
    }

    private void row(String label, Function<String, Double> value, boolean ratio) {
        rows.add(new Row(label, value, ratio));
    }

    /** A target and its verdict; "not measured" when a metric it needs was not run. */
    private void target(String label, boolean met, double... inputs) {
        for (double x : inputs) {
            if (Double.isNaN(x)) {
                targets.put(label, "not measured");
                return;
            }
        }
        targets.put(label, met ? "met" : "MISSED");
    }

    private double median(String metric, String tool) {
        return Samples.median(samples.of(metric, tool));
    }

    private double percentile(String metric, String tool, double p) {
        return Samples.percentile(samples.of(metric, tool), p);
    }

    private double sum(String metric, String tool) {
        return samples.of(metric, tool).stream().mapToDouble(Double::doubleValue).sum();
    }

    private double throughputLossPercent(String tool) {
        return 100 * (1 - median("writer_tx_per_s", tool) / median("writer_tx_per_s", "none"));
    }

    void print(PrintStream out) {
        StringBuilder header = new StringBuilder("| metric |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (Tool t : tools) {
            header.append(' ').append(t.name()).append(" |");
            rule.append(" ---: |");
        }
        header.append(" ").append(ours).append(" / ").append(theirs).append(" |");
        rule.append(" ---: |");
        out.println(header);
        out.println(rule);
        for (Row r : rows) {
            StringBuilder line = new StringBuilder("| ").append(r.label()).append(" |");
            for (Tool t : tools) {
                line.append(' ').append(format(r.value().apply(t.name()))).append(" |");
            }
            line.append(' ').append(r.ratio() ? "%.2f".formatted(r.value().apply(ours) / r.value().apply(theirs)) : "").append(" |");
            out.println(line);
        }
        out.println();
        targets.forEach((label, verdict) -> out.printf("target %-76s %s%n", label, verdict));
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return Math.abs(v) >= 100 ? "%.0f".formatted(v) : "%.2f".formatted(v);
    }

    Map<String, Object> json() {
        Map<String, Object> table = new LinkedHashMap<>();
        for (Row r : rows) {
            Map<String, Double> byTool = new LinkedHashMap<>();
            for (Tool t : tools) {
                byTool.put(t.name(), r.value().apply(t.name()));
            }
            table.put(r.label(), byTool);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("table", table);
        json.put("targets", targets);
        json.put("samples", samples.all());
        return json;
    }
}
