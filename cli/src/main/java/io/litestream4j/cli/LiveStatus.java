package io.litestream4j.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.litestream4j.ReplicaStatus;
import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaHealth;
import io.litestream4j.core.restore.RestorableTimeline;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a running {@code replicate} process knows, as plain values: each database (replicating,
 * or stopped through the control socket) with its TXID, WAL size and sync error, and each
 * replica's position, lag, last upload, health, files per level and restorable window. The
 * status page ({@code /status.json}) and the MCP tools read it; both answer from this process's
 * own state, never by running another command.
 *
 * <p>Cost: the replicator's listing cache already holds the levels it uploads to, compacts and
 * prunes, so a snapshot asks the store nothing, except once for each level it had never listed
 * (an empty level 4, say), which is then cached too. An idle replicator whose page is open stays
 * free of store requests.
 */
final class LiveStatus {
    /** At most this many compactions and restore points per replica (the newest): a page that refreshes every few seconds stays small. */
    static final int MAX_MARKS = 300;

    /** The whole process. */
    record Snapshot(String version, long pid, @JsonProperty("started_at") String startedAt, String now, String config,
            List<DatabaseState> databases) {}

    /**
     * One database. {@code status}: {@code replicating}; {@code error} when its sync or any replica
     * fails (the reasons are in {@code error} and in each replica's); {@code stopped} through the
     * control socket (its TXID is the one it stopped at; WAL size and replicas are not read).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DatabaseState(String path, String status, String txid, @JsonProperty("wal_size") long walSize, @JsonProperty("db_size") long dbSize,
            @JsonProperty("last_sync_at") String lastSyncAt, String error, List<ReplicaState> replicas) {}

    /**
     * One replica of a replicating database. {@code lag_seconds}: how long the oldest change it
     * does not hold yet has waited (0 when it holds everything); {@code files_per_level}: level
     * (0-9) to file count, levels with files only; {@code list_error}: its files could not be
     * listed (the store is unreachable and the level was never listed).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ReplicaState(String name, String type, String url, String txid, @JsonProperty("lag_seconds") double lagSeconds,
            @JsonProperty("last_sync_at") String lastSyncAt, String error, @JsonProperty("files_per_level") Map<String, Integer> filesPerLevel,
            @JsonProperty("list_error") String listError, Timeline timeline) {}

    /**
     * The restorable window of a replica. {@code earliest}: the oldest moment a
     * {@code restore -timestamp} can restore (null when nothing is restorable);
     * {@code restore_points}: each moment from which a timestamp restore gets a newer state, and
     * that state's TXID (the newest {@link #MAX_MARKS}); {@code snapshots}: level 9 files;
     * {@code compactions}: files of levels 1-8 (the newest {@link #MAX_MARKS}); {@code truncated}:
     * how many older marks were left out.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Timeline(String earliest, @JsonProperty("latest_txid") String latestTxid, @JsonProperty("restore_points") List<RestorePoint> restorePoints,
            List<FileMark> snapshots, List<FileMark> compactions, int truncated) {}

    record RestorePoint(String at, String txid) {}

    record FileMark(String at, int level, @JsonProperty("min_txid") String minTxid, @JsonProperty("max_txid") String maxTxid) {}

    private final Supplier<Replication> replication;
    private final Function<Path, List<String>> replicaNames;
    private final Path configFile;
    private final String version;
    private final Clock clock;
    private final Instant startedAt;

    /**
     * @param replication the running replication, or null before it started
     * @param replicaNames each database's configured replica names, by absolute path (null: not known, the types stand in)
     * @param configFile the config file this process read, or null (a database given on the command line)
     */
    LiveStatus(Supplier<Replication> replication, Function<Path, List<String>> replicaNames, Path configFile, String version, Clock clock) {
        this.replication = replication;
        this.replicaNames = replicaNames;
        this.configFile = configFile;
        this.version = version;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    String version() {
        return version;
    }

    /** The config file this process read, absolute, or null. */
    Path configFile() {
        return configFile == null ? null : Replication.absolute(configFile);
    }

    Instant startedAt() {
        return startedAt;
    }

    /** The running replicator of {@code db}, if this process replicates it now. */
    Optional<DatabaseReplicator> running(Path db) {
        Replication r = replication.get();
        return r == null ? Optional.empty() : r.find(db);
    }

    /** True if this process replicates {@code db} now or stopped it through the control socket (it may start it again). */
    boolean owns(Path db) {
        Replication r = replication.get();
        return r != null && (r.find(db).isPresent() || r.stopped().containsKey(Replication.absolute(db)));
    }

    /** Every database, with (when {@code timelines}) each replica's restorable window. */
    Snapshot snapshot(boolean timelines) {
        Replication r = replication.get();
        List<DatabaseState> dbs = new ArrayList<>();
        if (r != null) {
            List<DatabaseReplicator> running = new ArrayList<>(r.replicators());
            running.sort(Comparator.comparing(d -> Replication.absolute(d.database().path())));
            for (DatabaseReplicator d : running) {
                dbs.add(database(d, timelines));
            }
            r.stopped().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> dbs.add(
                    new DatabaseState(e.getKey().toString(), "stopped", Txid.format(e.getValue()), 0, size(e.getKey()), null, null, List.of())));
        }
        return new Snapshot(version, ProcessHandle.current().pid(), startedAt.toString(), clock.instant().toString(),
                configFile() == null ? null : configFile().toString(), dbs);
    }

    /** One database's state, or empty if this process does not know it. */
    Optional<DatabaseState> database(Path db, boolean timelines) {
        Path want = Replication.absolute(db);
        Optional<DatabaseReplicator> r = running(want);
        if (r.isPresent()) {
            return Optional.of(database(r.get(), timelines));
        }
        Replication rep = replication.get();
        Long stopped = rep == null ? null : rep.stopped().get(want);
        return stopped == null ? Optional.empty()
                : Optional.of(new DatabaseState(want.toString(), "stopped", Txid.format(stopped), 0, size(want), null, null, List.of()));
    }

    DatabaseState database(DatabaseReplicator d, boolean timelines) {
        Path path = Replication.absolute(d.database().path());
        List<ReplicaStatus> statuses = d.replicaStatuses();
        List<DatabaseReplicator.Destination> destinations = d.destinations();
        List<String> names = replicaNames.apply(path);
        List<ReplicaState> replicas = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            ReplicaStatus s = statuses.get(i);
            String name = names != null && names.size() == statuses.size() ? names.get(i) : s.type();
            ReplicaClient client = i < destinations.size() ? destinations.get(i).client() : null;
            replicas.add(replica(name, s, client, timelines));
        }
        boolean failing = d.lastError() != null || statuses.stream().anyMatch(s -> s.lastError() != null);
        return new DatabaseState(path.toString(), failing ? "error" : "replicating", Txid.format(d.database().txid()), size(d.database().walPath()),
                size(path), ControlApi.lastSync(statuses), d.lastError(), replicas);
    }

    private ReplicaState replica(String name, ReplicaStatus s, ReplicaClient client, boolean timelines) {
        Map<String, Integer> perLevel = new LinkedHashMap<>();
        String listError = null;
        Timeline timeline = null;
        if (client != null) {
            try {
                List<LtxFileInfo> all = files(client);
                for (LtxFileInfo f : all) {
                    perLevel.merge(Integer.toString(f.level()), 1, Integer::sum);
                }
                timeline = timelines ? timeline(all) : null;
            } catch (IOException | RuntimeException e) {
                listError = ReplicaHealth.describe(e);
            }
        }
        return new ReplicaState(name, s.type(), s.location(), Txid.format(s.txid()), s.lagMillis() / 1000.0,
                s.lastUploadMillis() == 0 ? null : Instant.ofEpochMilli(s.lastUploadMillis()).toString(), s.lastError(),
                perLevel, listError, timeline);
    }

    /** Every file of every level, level by level, through the replicator's listing cache. */
    static List<LtxFileInfo> files(ReplicaClient client) throws IOException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = 0; level <= LtxFileInfo.MAX_LEVEL; level++) {
            all.addAll(client.listFiles(level, 0));
        }
        return all;
    }

    static Timeline timeline(List<LtxFileInfo> all) {
        RestorableTimeline restorable = RestorableTimeline.of(all);
        List<RestorePoint> points = new ArrayList<>();
        long last = 0;
        for (Instant t : restorable.changeTimes()) {
            long txid = restorable.txidAt(t).orElse(0);
            if (txid != 0 && txid != last) {
                points.add(new RestorePoint(t.toString(), Txid.format(txid)));
                last = txid;
            }
        }
        String earliest = points.isEmpty() ? null : points.getFirst().at();
        String latest = points.isEmpty() ? null : points.getLast().txid();
        List<FileMark> snapshots = new ArrayList<>();
        List<FileMark> compactions = new ArrayList<>();
        all.stream().sorted(Comparator.comparing(LtxFileInfo::createdAt)).forEach(f -> {
            FileMark m = new FileMark(f.createdAt().toString(), f.level(), Txid.format(f.minTxid()), Txid.format(f.maxTxid()));
            if (f.level() == LtxFileInfo.MAX_LEVEL) {
                snapshots.add(m);
            } else if (f.level() > 0) {
                compactions.add(m);
            }
        });
        int truncated = Math.max(0, points.size() - MAX_MARKS) + Math.max(0, compactions.size() - MAX_MARKS) + Math.max(0, snapshots.size() - MAX_MARKS);
        return new Timeline(earliest, latest, newest(points), newest(snapshots), newest(compactions), truncated);
    }

    private static <T> List<T> newest(List<T> marks) {
        return List.copyOf(marks.subList(Math.max(0, marks.size() - MAX_MARKS), marks.size()));
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0; // vanished between the two calls (a checkpoint truncating the WAL): as good as empty
        }
    }
}
