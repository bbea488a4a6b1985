package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;

/** {@code bin/litestream} driven by a Litestream-style config file: several databases, several replicas each, restore by database path. */
@Timeout(600) // per test: many times its usual time on a busy machine; it ends a hang, not a slow run
class ConfigCliIT {
    @TempDir
    Path dir;

    private Path config(String yaml) throws Exception {
        return CliProcess.writeConfig(dir, yaml);
    }

    @Test
    void twoDatabasesToSeveralReplicasThenRestoreByDatabasePath() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 20);
        Path b = TestDb.create(dir, "b.db", 4096, 5);
        Path cfg = config("""
                # Litestream 0.5 schema, plus several replicas per database
                snapshot:
                  interval: 1h
                dbs:
                  - path: $DIR/a.db
                    monitor-interval: 200ms
                    replicas:
                      - name: local
                        path: $DIR/replicas/a-local
                        sync-interval: 0s
                      - name: archive
                        url: file://$DIR/replicas/a-archive
                        sync-interval: 1s
                        validation-interval: 24h
                  - path: ${DIR}/b.db
                    replica:
                      url: file://$DIR/replicas/b
                """);
        var env = java.util.Map.of("DIR", dir.toString());
        CliProcess p = CliProcess.start(env, dir, "replicate", "-config", cfg.toString());
        assertThat(p.awaitLog("b.db: replicating to", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
        assertThat(p.awaitLog("a.db: replicating to", Duration.ofSeconds(10))).as(p.output().toString()).isTrue();
        try (Connection ca = TestDb.open(a); Connection cb = TestDb.open(b)) {
            for (int i = 0; i < 20; i++) {
                TestDb.insert(ca, 1, 200);
                TestDb.insert(cb, 2, 100);
            }
        }
        p.terminate();
        CliProcess.Result stopped = p.await(Duration.ofSeconds(60));
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertThat(stopped.err()).as("the Litestream 0.3 key is named in a warning")
                .contains("line 14: ").contains("dbs[0].replicas[1].validation-interval").contains("is a Litestream 0.3 setting and is ignored");

        for (String replica : new String[] {null, "local", "archive"}) {
            Path out = dir.resolve("a-" + replica + ".db");
            CliProcess.Result r = replica == null
                    ? CliProcess.run(env, dir, "restore", "-config", cfg.toString(), "-o", out.toString(), a.toString())
                    : CliProcess.run(env, dir, "restore", "-config", cfg.toString(), "-replica", replica, "-o", out.toString(), a.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(TestDb.digest(out)).as("restored from replica %s", replica).isEqualTo(TestDb.digest(a));
        }
        CliProcess.Result ltx = CliProcess.run(env, dir, "ltx", "-config", cfg.toString(), "-replica", "archive", a.toString());
        assertThat(ltx.code()).as(ltx.toString()).isZero();
        assertThat(ltx.out()).startsWith("level  min_txid");
        CliProcess.Result noSuchReplica = CliProcess.run(env, dir, "ltx", "-config", cfg.toString(), "-replica", "s3", a.toString());
        assertThat(noSuchReplica.err()).contains("has no replica named \"s3\" (it has local, archive)");
        CliProcess.Result notConfigured = CliProcess.run(env, dir, "restore", "-config", cfg.toString(), dir.resolve("c.db").toString());
        assertThat(notConfigured.code()).isEqualTo(1);
        assertThat(notConfigured.err()).contains("database " + dir.resolve("c.db") + " is not in config " + cfg);

        // The database is lost: restore-if-db-not-exists brings it back before replicating.
        String before = TestDb.digest(b);
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(dir.resolve("b.db" + suffix));
        }
        CliProcess.Result once = CliProcess.run(env, dir, "replicate", "-config", cfg.toString(), "-once", "-restore-if-db-not-exists");
        assertThat(once.code()).as(once.toString()).isZero();
        assertThat(once.err()).contains("b.db did not exist: restored from");
        assertThat(TestDb.digest(b)).isEqualTo(before);
    }

    @Test
    void aBadConfigFailsAtStartNamingFileLineAndKey() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        Path cfg = config("dbs:\n  - path: " + db + "\n    replica:\n      path: " + dir.resolve("r") + "\n      sync-intervall: 1s\n");
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Error: config " + cfg + " line 5: unknown key \"dbs[0].replica.sync-intervall\"");
        assertThat(Files.exists(dir.resolve("r"))).as("nothing was started").isFalse();

        CliProcess.Result missing = CliProcess.run(dir, "replicate", "-config", dir.resolve("nope.yml").toString());
        assertThat(missing.err()).contains("config file " + dir.resolve("nope.yml") + " does not exist");

        CliProcess.Result badMcp = CliProcess.run(dir, "replicate", "-config", config("mcp-addr: nowhere\n").toString());
        assertThat(badMcp.err()).contains("line 1: \"mcp-addr\": invalid value \"nowhere\"");

        CliProcess.Result both = CliProcess.run(dir, "replicate", "-config", cfg.toString(), db.toString(), dir.resolve("r").toString());
        assertThat(both.err()).contains("-config cannot be combined with DB_PATH REPLICA_URL");
    }

    @Test
    void secretsFromTheConfigNeverReachTheOutput() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        Path cfg = config("""
                access-key-id: AKIDCONFIGTEST
                secret-access-key: sUpErSeCrEtFrOmCoNfIg
                dbs:
                  - path: %s
                    replica:
                      type: s3
                      bucket: backups
                      path: app
                      endpoint: http://127.0.0.1:1
                """.formatted(db));
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString(), "-once", "-log-level", "debug");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("s3://backups/app (endpoint http://127.0.0.1:1)");
        assertThat(r.out() + r.err()).doesNotContain("sUpErSeCrEtFrOmCoNfIg");
    }

    @Test
    void jsonLogsAreOneObjectPerLine() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 1);
        Path cfg = config("logging:\n  type: json\n  level: debug\ndbs:\n  - path: %s\n    replica:\n      path: %s\n".formatted(db, dir.resolve("r")));
        CliProcess.Result r = CliProcess.run(dir, "replicate", "-config", cfg.toString(), "-once");
        assertThat(r.code()).as(r.toString()).isZero();
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var lines = r.err().lines().toList();
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            var event = mapper.readTree(line);
            assertThat(event.has("time") && event.has("level") && event.has("msg")).as(line).isTrue();
        }
        assertThat(lines).anySatisfy(l -> assertThat(mapper.readTree(l).get("msg").asText()).contains("replicating to"));
        assertThat(lines).anySatisfy(l -> assertThat(mapper.readTree(l).get("level").asText()).isEqualTo("DEBUG"));
    }

    @Test
    void statusAndDatabasesReadTheConfig() throws Exception {
        Path a = TestDb.create(dir, "a.db", 4096, 3);
        TestDb.create(dir, "b.db", 4096, 3);
        Path cfg = config("""
                dbs:
                  - path: %1$s/a.db
                    replicas:
                      - name: local
                        path: %1$s/ra
                      - name: offsite
                        url: s3://bucket/a?endpoint=http://127.0.0.1:1
                  - path: %1$s/b.db
                    replica:
                      path: %1$s/rb
                  - path: %1$s/c.db
                    replica:
                      path: %1$s/rc
                """.formatted(dir));
        // Only a.db is replicated from here; its S3 replica is not reachable, so use its file replica alone.
        CliProcess.Result once = CliProcess.run(dir, "replicate", "-once", a.toString(), dir.resolve("ra").toString());
        assertThat(once.code()).as(once.toString()).isZero();

        CliProcess.Result status = CliProcess.run(dir, "status", "-config", cfg.toString());
        assertThat(status.code()).as(status.toString()).isZero();
        List<String> lines = status.out().lines().toList();
        assertThat(lines.getFirst()).matches("database\\s+status\\s+local txid\\s+wal size");
        assertThat(lines.get(1)).matches(".*a\\.db\\s+ok\\s+0000000000000001\\s+\\d+");
        assertThat(lines.get(2)).matches(".*b\\.db\\s+not initialized\\s+-\\s+\\d+");
        assertThat(lines.get(3)).matches(".*c\\.db\\s+no database\\s+-\\s+0");

        CliProcess.Result one = CliProcess.run(dir, "status", "-config", cfg.toString(), "-json", a.toString());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(one.out());
        assertThat(json).hasSize(1);
        assertThat(json.get(0).get("database").asText()).isEqualTo(a.toString());
        assertThat(json.get(0).get("status").asText()).isEqualTo("ok");
        assertThat(json.get(0).get("local_txid").asText()).isEqualTo("0000000000000001");
        CliProcess.Result unknown = CliProcess.run(dir, "status", "-config", cfg.toString(), dir.resolve("z.db").toString());
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).as("status takes no replica URL, so it suggests none")
                .contains("database " + dir.resolve("z.db") + " is not in config " + cfg).doesNotContain("replica URL");

        CliProcess.Result dbs = CliProcess.run(dir, "databases", "-config", cfg.toString());
        assertThat(dbs.code()).as(dbs.toString()).isZero();
        assertThat(dbs.out().lines().toList()).hasSize(4).first().asString().matches("path\\s+replicas");
        assertThat(dbs.out()).contains("local (file), offsite (s3)");
        var dbsJson = new com.fasterxml.jackson.databind.ObjectMapper().readTree(CliProcess.run(dir, "databases", "-json", "-config", cfg.toString()).out());
        assertThat(dbsJson.get(0).get("replicas").get(1).get("name").asText()).isEqualTo("offsite");
        assertThat(dbsJson.get(0).get("replicas").get(1).get("type").asText()).isEqualTo("s3");
    }
}
