package io.litestream4j.cli;

import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.ReplicaStatus;
import io.litestream4j.ReplicationEvents;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Supplier;

/**
 * Litestream's Prometheus metrics, with its names and labels, plus per-replica lag, position and
 * last successful upload. Litestream's counters without a {@code _total} suffix
 * ({@code litestream_sync_count}...) keep their exact names, so they are exposed as gauges that
 * only grow: the Java client would otherwise append {@code _total} to a counter's name.
 */
final class Metrics implements ReplicationEvents {
    private static final double NANOS = 1e9;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    /** Accumulated values by metric name and label values. */
    private final Map<String, Map<List<String>, DoubleAdder>> sums = new ConcurrentHashMap<>();
    private final Counter operations;
    private final Counter operationErrors;
    private final Histogram operationSeconds;

    Metrics(Supplier<List<DatabaseReplicator>> databases) {
        this(databases, db -> List.of());
    }

    /**
     * @param replicaNames a database's replicas' configured names (a replica's type when it has
     *     none), in the order of its destinations: the {@code name} label beside {@code replica},
     *     which stays the URL
     */
    Metrics(Supplier<List<DatabaseReplicator>> databases, java.util.function.Function<Path, List<String>> replicaNames) {
        accumulated("litestream_sync_count", "Number of sync operations", "db");
        accumulated("litestream_sync_error_count", "Number of sync errors", "db");
        accumulated("litestream_sync_seconds", "Time spent syncing shadow WAL, in seconds", "db");
        accumulated("litestream_checkpoint_count", "Number of checkpoints", "db", "mode");
        accumulated("litestream_compaction_verify_error_count", "Number of post-compaction verification failures", "db");
        accumulated("litestream_validation_error_count", "Number of validation checks that found a gap or an overlap", "db");
        accumulated("litestream_checkpoint_error_count", "Number of checkpoint errors", "db", "mode");
        accumulated("litestream_checkpoint_seconds", "Time spent checkpointing WAL, in seconds", "db", "mode");
        accumulated("litestream_replica_operation_bytes", "The number of bytes used by replica operations", "replica_type", "operation");
        operations = Counter.builder().name("litestream_replica_operation_total").help("The number of replica operations performed")
                .labelNames("replica_type", "operation").register(registry);
        operationErrors = Counter.builder().name("litestream_replica_operation_errors_total").help("The number of replica operations that failed")
                .labelNames("replica_type", "operation", "code").register(registry);
        operationSeconds = Histogram.builder().name("litestream_replica_operation_duration_seconds").help("Time taken by replica operations")
                .labelNames("replica_type", "operation").register(registry);
        GaugeWithCallback.builder().name("litestream_db_size").help("The current size of the real DB").labelNames("db")
                .callback(cb -> databases.get().forEach(r -> cb.call(size(r.database().path()), name(r)))).register(registry);
        GaugeWithCallback.builder().name("litestream_wal_size").help("The current size of the real WAL").labelNames("db")
                .callback(cb -> databases.get().forEach(r -> cb.call(size(r.database().walPath()), name(r)))).register(registry);
        GaugeWithCallback.builder().name("litestream_txid").help("Current transaction ID").labelNames("db")
                .callback(cb -> databases.get().forEach(r -> cb.call(r.database().txid(), name(r)))).register(registry);
        GaugeWithCallback.builder().name("litestream_replica_txid").help("The highest TXID the replica holds").labelNames("db", "replica", "name")
                .callback(cb -> eachReplica(databases, replicaNames, (r, s, n) -> cb.call(s.txid(), name(r), s.location(), n)))
                .register(registry);
        GaugeWithCallback.builder().name("litestream_replica_lag_seconds")
                .help("How long the oldest change the replica does not hold yet has waited; 0 when it holds everything").labelNames("db", "replica", "name")
                .callback(cb -> eachReplica(databases, replicaNames, (r, s, n) -> cb.call(s.lagMillis() / 1000.0, name(r), s.location(), n)))
                .register(registry);
        GaugeWithCallback.builder().name("litestream_replica_last_sync_timestamp_seconds")
                .help("When an upload to the replica last succeeded, in seconds since the epoch (0: none since start)").labelNames("db", "replica", "name")
                .callback(cb -> eachReplica(databases, replicaNames, (r, s, n) -> cb.call(s.lastUploadMillis() / 1000.0, name(r), s.location(), n)))
                .register(registry);
    }

    private interface ReplicaSample {
        void accept(DatabaseReplicator database, ReplicaStatus replica, String name);
    }

    /** Every replica of every database with its configured name ("" if unknown). */
    private static void eachReplica(Supplier<List<DatabaseReplicator>> databases, java.util.function.Function<Path, List<String>> names,
            ReplicaSample sample) {
        for (DatabaseReplicator r : databases.get()) {
            List<ReplicaStatus> statuses = r.replicaStatuses();
            List<String> named = names.apply(r.database().path());
            for (int i = 0; i < statuses.size(); i++) {
                sample.accept(r, statuses.get(i), named != null && i < named.size() ? named.get(i) : "");
            }
        }
    }

    PrometheusRegistry registry() {
        return registry;
    }

    private void accumulated(String name, String help, String... labels) {
        Map<List<String>, DoubleAdder> values = sums.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels)
                .callback(cb -> values.forEach((labelValues, v) -> cb.call(v.sum(), labelValues.toArray(String[]::new)))).register(registry);
    }

    private void add(String name, double amount, String... labels) {
        sums.get(name).computeIfAbsent(List.of(labels), k -> new DoubleAdder()).add(amount);
    }

    private static String name(DatabaseReplicator r) {
        return r.database().path().toString();
    }

    private static double size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void synced(Path db, long nanos, boolean ok) {
        add("litestream_sync_count", 1, db.toString());
        add("litestream_sync_seconds", nanos / NANOS, db.toString());
        add("litestream_sync_error_count", ok ? 0 : 1, db.toString()); // present at 0 from the first sync, as in Litestream
    }

    @Override
    public void checkpointed(Path db, String mode, long nanos, boolean ok) {
        add("litestream_checkpoint_count", 1, db.toString(), mode);
        add("litestream_checkpoint_seconds", nanos / NANOS, db.toString(), mode);
        add("litestream_checkpoint_error_count", ok ? 0 : 1, db.toString(), mode);
    }

    @Override
    public void replicaOperation(String replicaType, String operation, long bytes, long nanos, String errorCode) {
        operations.labelValues(replicaType, operation).inc();
        operationSeconds.labelValues(replicaType, operation).observe(nanos / NANOS);
        if (bytes > 0) {
            add("litestream_replica_operation_bytes", bytes, replicaType, operation);
        }
        if (errorCode != null) {
            operationErrors.labelValues(replicaType, operation, errorCode).inc();
        }
    }

    /** A level check ({@link LevelValidation}) found a gap or an overlap in a replica of {@code db}. */
    void levelCheckFailed(Path db, String check) {
        add(check.equals(LevelValidation.VALIDATION) ? "litestream_validation_error_count" : "litestream_compaction_verify_error_count", 1, db.toString());
    }

    @Override
    public void replicaFileCorrupt(String replicaType, String errorCode) {
        operationErrors.labelValues(replicaType, "GET", errorCode).inc();
    }
}
