package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket driven by the real commands ({@code sync -wait}, {@code start}, {@code stop},
 * {@code register}, {@code unregister}, {@code list}, {@code info}) against the real
 * {@code replicate}, with writers committing all the while.
 */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ControlSocketCliIT {
    @TempDir
    Path dir;

    private Path config(Path db, Path replica, Path socket, String perms) throws Exception {
        return CliProcess.writeConfig(dir, """
                socket:
                  enabled: true
                  path: %s
                  permissions: %s
                dbs:
                  - path: %s
                    replica:
                      path: %s
                """.formatted(socket, perms, db, replica));
    }

    private static long number(String text, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + ": (\\d+)$").matcher(text);
        assertThat(m.find()).as(key + " in\n" + text).isTrue();
        return Long.parseLong(m.group(1));
    }

    /**
     * A copy (hard links) of the replica's files that start at or before {@code txid}: what the
     * replica held when {@code sync -wait} returned. Files uploaded since (which start after it)
     * are left out: a directory listed while files are being renamed into it may show a newer
     * file but miss an older one, and the test is about what the replica held, not about
     * restoring from a folder being written.
     */
    private static Path heldUpTo(Path replica, long txid, Path copy) throws Exception {
        // Listed level by level without reading attributes: a temporary file may vanish meanwhile.
        try (var levels = Files.newDirectoryStream(replica.resolve("ltx"))) {
            for (Path level : levels) {
                try (var files = Files.newDirectoryStream(level, "*.ltx")) {
                    for (Path f : files) {
                        if (Long.parseUnsignedLong(f.getFileName().toString().substring(0, 16), 16) <= txid) {
                            Path to = copy.resolve(replica.relativize(f));
                            Files.createDirectories(to.getParent());
                            Files.createLink(to, f);
                        }
                    }
                }
            }
        }
        return copy;
    }

    @Test
    void syncWaitReturnsOnlyOnceTheReplicaHoldsEveryEarlierCommit() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path replica = dir.resolve("replica");
        Path socket = dir.resolve("ls.sock");
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config(db, replica, socket, "0600").toString());
        assertThat(p.awaitLog("control socket listening on " + socket, Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");

        // Writers commit one row at a time while sync -wait runs; each call must find in the
        // replica every row committed before the call started.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        AtomicReference<Throwable> writerFailed = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = TestDb.open(db, 10_000)) {
                while (writing.get()) {
                    TestDb.insert(c, 1, 200);
                    committed.set(TestDb.queryLong(c, "SELECT max(id) FROM t"));
                }
            } catch (Throwable t) {
                writerFailed.set(t);
            }
        });
        try {
            for (int round = 0; round < 3; round++) {
                Thread.sleep(300);
                long before = committed.get();
                CliProcess.Result r = CliProcess.run(dir, "sync", "-wait", "-socket", socket.toString(), db.toString());
                assertThat(r.code()).as(r.toString()).isZero();
                assertThat(r.out()).contains("db_path: " + db).contains("duration_ms: ");
                long txid = number(r.out(), "txid");
                assertThat(number(r.out(), "replica_txid")).as(r.toString()).isGreaterThanOrEqualTo(txid);
                Path out = dir.resolve("round" + round + ".db");
                Path held = heldUpTo(replica, txid, dir.resolve("held" + round));
                CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", out.toString(), held.toString());
                assertThat(restored.code()).as(restored.toString()).isZero();
                assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
                try (Connection c = TestDb.open(out)) {
                    assertThat(TestDb.queryLong(c, "SELECT count(*) FROM t WHERE id <= " + before)).as("rows committed before sync -wait")
                            .isEqualTo(before);
                }
            }
        } finally {
            writing.set(false);
            writer.join(Duration.ofSeconds(60));
        }
        assertThat(writerFailed.get()).isNull();

        CliProcess.Result json = CliProcess.run(dir, "sync", "-json", "-socket", socket.toString(), db.toString());
        assertThat(json.code()).as(json.toString()).isZero();
        assertThat(json.out()).startsWith("{\n  \"db_path\": \"" + db + "\",\n  \"txid\": ").contains("\"duration_ms\": ")
                .doesNotContain("replica_txid");

        CliProcess.Result missing = CliProcess.run(dir, "sync", "-socket", socket.toString(), dir.resolve("other.db").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("Error: sync failed: database not found: " + dir.resolve("other.db"));

        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(socket).as("removed at exit").doesNotExist();
    }

    @Test
    void startStopRegisterUnregisterListAndInfo() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path socket = dir.resolve("ls.sock");
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config(db, dir.resolve("replica"), socket, "0660").toString());
        assertThat(p.awaitLog("control socket listening", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        String s = socket.toString();

        CliProcess.Result info = CliProcess.run(dir, "info", "-socket", s);
        assertThat(info.code()).as(info.toString()).isZero();
        assertThat(info.out()).startsWith("Litestream v").contains("  PID:        " + p.pid()).contains("  Databases:  1");

        CliProcess.Result stop = CliProcess.run(dir, "stop", "-socket", s, db.toString());
        assertThat(stop.code()).as(stop.toString()).isZero();
        assertThat(stop.out()).startsWith("status: stopped\ndb_path: " + db + "\nstate: stopped\ntxid: ").endsWith("socket: " + s + "\n");
        CliProcess.Result again = CliProcess.run(dir, "stop", "-json", "-socket", s, db.toString());
        assertThat(again.out()).contains("\"status\": \"already_stopped\"").contains("\"state\": \"stopped\"");
        CliProcess.Result list = CliProcess.run(dir, "list", "-socket", s);
        assertThat(list.out()).isEqualTo(db + " [stopped] (last sync: never)\n");
        CliProcess.Result syncStopped = CliProcess.run(dir, "sync", "-socket", s, db.toString());
        assertThat(syncStopped.code()).isEqualTo(1);
        assertThat(syncStopped.err()).contains("Error: sync failed: database not open: " + db);

        try (Connection c = TestDb.open(db)) {
            TestDb.insert(c, 5, 100); // written while stopped: replicated once started again
        }
        CliProcess.Result start = CliProcess.run(dir, "start", "-socket", s, db.toString());
        assertThat(start.code()).as(start.toString()).isZero();
        assertThat(start.out()).startsWith("status: started\n").contains("state: running\n");
        assertThat(CliProcess.run(dir, "start", "-socket", s, db.toString()).out()).startsWith("status: already_running\n");

        Path other = TestDb.create(dir, "other.db", 4096, 10);
        Path otherReplica = dir.resolve("other-replica");
        String otherUrl = otherReplica.toUri().toString();
        CliProcess.Result reg = CliProcess.run(dir, "register", "-socket", s, "-replica", otherUrl, other.toString());
        assertThat(reg.code()).as(reg.toString()).isZero();
        assertThat(reg.out()).isEqualTo("status: registered\ndb_path: %s\nreplica: %s\nsocket: %s\n".formatted(other, otherUrl, s));
        assertThat(CliProcess.run(dir, "register", "-socket", s, "-replica", otherUrl, other.toString()).out())
                .startsWith("status: already registered\n");
        CliProcess.Result waited = CliProcess.run(dir, "sync", "-wait", "-socket", s, other.toString());
        assertThat(waited.code()).as(waited.toString()).isZero();
        CliProcess.Result listed = CliProcess.run(dir, "list", "-json", "-socket", s);
        assertThat(listed.out()).contains("\"path\": \"" + db + "\",\n      \"status\": \"replicating\"")
                .contains("\"path\": \"" + other + "\",\n      \"status\": \"replicating\",\n      \"last_sync_at\": \"");

        CliProcess.Result dry = CliProcess.run(dir, "unregister", "-dry-run", "-socket", s, other.toString());
        assertThat(dry.out()).startsWith("Dry run: unregister request preview\n").endsWith("No unregister request was sent.\n");
        CliProcess.Result unreg = CliProcess.run(dir, "unregister", "-socket", s, other.toString());
        assertThat(unreg.code()).as(unreg.toString()).isZero();
        assertThat(unreg.out()).startsWith("status: unregistered\ndb_path: " + other + "\nfinal_txid: ");
        assertThat(number(unreg.out(), "final_txid")).isPositive();
        assertThat(CliProcess.run(dir, "unregister", "-socket", s, other.toString()).out()).startsWith("status: already_unregistered\n");
        assertThat(CliProcess.run(dir, "list", "-socket", s).out()).doesNotContain(other.toString()).contains(db + " [replicating]");
        CliProcess.Result restoredOther = CliProcess.run(dir, "restore", "-o", dir.resolve("other-out.db").toString(), otherReplica.toString());
        assertThat(restoredOther.code()).as(restoredOther.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("other-out.db"))).isEqualTo(TestDb.digest(other));

        CliProcess.Result badUrl = CliProcess.run(dir, "register", "-socket", s, "-replica", "nope://x/y", dir.resolve("x.db").toString());
        assertThat(badUrl.code()).isEqualTo(1);
        assertThat(badUrl.err()).startsWith("Error: register failed: invalid replica url: ");

        p.terminate();
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        CliProcess.Result restored = CliProcess.run(dir, "restore", "-o", dir.resolve("out.db").toString(), dir.resolve("replica").toString());
        assertThat(restored.code()).as(restored.toString()).isZero();
        assertThat(TestDb.digest(dir.resolve("out.db"))).as("rows written while stopped were replicated after start").isEqualTo(TestDb.digest(db));
    }

    @Test
    void aStaleSocketIsReplacedAndAnythingElseAtThePathIsRefused() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 5);
        Path socket = dir.resolve("ls.sock");
        // A socket file nobody listens on: what a replicator killed with SIGKILL leaves.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        Path cfg = config(db, dir.resolve("replica"), socket, "0600");
        CliProcess p = CliProcess.start(dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("control socket listening", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.output().err()).contains("replaced a stale socket file");
        assertThat(CliProcess.run(dir, "info", "-socket", socket.toString()).code()).isZero();

        // A second replicator must not take the socket of a live one.
        Path db2 = TestDb.create(dir, "two.db", 4096, 5);
        Files.createDirectories(dir.resolve("second"));
        Path cfg2 = CliProcess.writeConfig(dir.resolve("second"), Files.readString(cfg).replace(db.toString(), db2.toString())
                .replace(dir.resolve("replica").toString(), dir.resolve("replica2").toString()));
        CliProcess.Result live = CliProcess.run(dir, "replicate", "-config", cfg2.toString());
        assertThat(live.code()).as(live.toString()).isEqualTo(1);
        assertThat(live.err()).contains("control socket " + socket + ": another process is listening on it");
        assertThat(CliProcess.run(dir, "info", "-socket", socket.toString()).code()).as("the first still answers").isZero();
        p.terminate();
        assertThat(p.await(Duration.ofSeconds(60)).code()).isZero();

        Files.writeString(socket, "not a socket");
        CliProcess.Result file = CliProcess.run(dir, "replicate", "-config", cfg.toString());
        assertThat(file.code()).as(file.toString()).isEqualTo(1);
        assertThat(file.err()).contains("Error: control socket " + socket + ": the path exists and is not a socket");
        assertThat(Files.readString(socket)).as("never deleted").isEqualTo("not a socket");

        CliProcess.Result nobody = CliProcess.run(dir, "info", "-socket", dir.resolve("none.sock").toString());
        assertThat(nobody.code()).isEqualTo(1);
        assertThat(nobody.err()).startsWith("Error: failed to connect to control socket: dial unix " + dir.resolve("none.sock"));
    }
}
