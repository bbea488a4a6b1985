package io.litestream4j.cli;

import io.litestream4j.core.DatabaseReplicator;
import io.litestream4j.ReplicaStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What is wrong with replication right now, in words: the answer of /healthz and of the heartbeat. */
final class ReplicationHealth {
    private ReplicationHealth() {}

    /**
     * A line per problem: a database whose sync fails, a replica whose last upload failed, and
     * (when {@code maxLag} is given) a replica behind its database for {@code maxLag} or longer.
     */
    static List<String> problems(List<DatabaseReplicator> databases, Duration maxLag) {
        List<String> problems = new ArrayList<>();
        for (DatabaseReplicator r : databases) {
            if (r.lastError() != null) {
                problems.add(r.database().path() + ": sync failing: " + r.lastError());
            }
            for (ReplicaStatus s : r.replicaStatuses()) {
                if (s.lastError() != null) {
                    problems.add(r.database().path() + ": replica " + s.location() + " failing: " + s.lastError());
                } else if (maxLag != null && s.lagMillis() >= maxLag.toMillis()) {
                    problems.add(r.database().path() + ": replica " + s.location() + " is " + s.lagMillis() / 1000 + " s behind");
                }
            }
        }
        return problems;
    }
}
