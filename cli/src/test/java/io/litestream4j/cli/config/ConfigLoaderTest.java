package io.litestream4j.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Config parse(String yaml) {
        return ConfigLoader.parse(dir.resolve("litestream.yml"), yaml, Map.of("HOME", "/home/app", "BUCKET", "backups", "KEY", "AKIA123"), true);
    }

    private String file() {
        return "config " + dir.resolve("litestream.yml");
    }

    @Test
    void litestreamsSingleDatabaseExample() throws Exception {
        Config c = parse("""
                dbs:
                  - path: /var/lib/app/db.sqlite
                    replica:
                      url: file:///var/backups/db
                """);
        assertThat(c.dbs()).hasSize(1);
        DatabaseConfig db = c.dbs().getFirst();
        assertThat(db.path()).isEqualTo(Path.of("/var/lib/app/db.sqlite"));
        assertThat(db.options().monitorInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(db.options().minCheckpointPageCount()).isEqualTo(1000);
        assertThat(db.replicas()).singleElement().satisfies(r -> {
            assertThat(r.type()).isEqualTo("file");
            assertThat(r.name()).isEqualTo("file");
            assertThat(r.syncInterval()).isNull();
        });
        assertThat(c.compaction().levelIntervals()).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(1));
        assertThat(c.shutdownSyncTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void everySettingIsRead() {
        Config c = parse("""
                levels:
                  - interval: 10s
                  - interval: 2m
                snapshot:
                  interval: 12h
                  retention: 72h
                l0-retention: 1m
                l0-retention-check-interval: 5s
                retention:
                  enabled: false
                exec: myapp --port 8080
                addr: ":9090"
                heartbeat-url: https://hc-ping.example/abc
                heartbeat-interval: 2m
                shutdown-sync-timeout: 1m30s
                shutdown-sync-interval: 250ms
                logging:
                  level: debug
                  type: text
                  stderr: false
                socket:
                  enabled: false
                dbs:
                  - path: sqlite://~/app.db
                    meta-path: /tmp/meta
                    busy-timeout: 5s
                    monitor-interval: 500ms
                    checkpoint-interval: 2m
                    min-checkpoint-page-count: 2000
                    truncate-page-n: 50000
                    restore-if-db-not-exists: true
                    replica:
                      type: file
                      path: /backups/app
                      sync-interval: 250ms
                """);
        assertThat(c.compaction().levelIntervals()).containsExactly(Duration.ofSeconds(10), Duration.ofMinutes(2));
        assertThat(c.compaction().snapshotInterval()).isEqualTo(Duration.ofHours(12));
        assertThat(c.compaction().snapshotRetention()).isEqualTo(Duration.ofHours(72));
        assertThat(c.compaction().l0Retention()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.compaction().retentionCheckInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.compaction().retentionEnabled()).isFalse();
        assertThat(c.shutdownSyncTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.exec()).isEqualTo("myapp --port 8080");
        assertThat(c.addr()).isEqualTo(":9090");
        assertThat(c.heartbeatUrl()).hasToString("https://hc-ping.example/abc");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> parse("heartbeat-url: https://x.example/\nheartbeat-interval: 10s\n"))
                .hasMessageStartingWith(file() + " line 2: ").hasMessageContaining("\"heartbeat-interval\": invalid value \"10s\": want at least 1m");
        assertThatThrownBy(() -> parse("heartbeat-url: ftp://x.example/\n")).hasMessageContaining("want an http:// or https:// URL");
        assertThatThrownBy(() -> parse("addr: 9090\n")).hasMessageContaining("\"addr\": invalid value \"9090\": want host:port or :port");
        assertThat(c.logLevel()).isEqualTo("debug");
        assertThat(c.logToStdout()).isTrue();
        assertThat(c.logJson()).isFalse();
        assertThat(parse("logging:\n  type: json\n").logJson()).isTrue();
        DatabaseConfig db = c.dbs().getFirst();
        assertThat(db.path()).isEqualTo(Path.of("/home/app/app.db"));
        assertThat(db.options().metaPath()).isEqualTo(Path.of("/tmp/meta"));
        assertThat(db.options().busyTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(db.options().monitorInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(db.options().checkpointInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(db.options().minCheckpointPageCount()).isEqualTo(2000);
        assertThat(db.options().truncatePageN()).isEqualTo(50000);
        assertThat(db.restoreIfDbNotExists()).isTrue();
        ReplicaConfig r = db.replicas().getFirst();
        assertThat(r.keys()).containsExactly(Map.entry("path", "/backups/app"));
        assertThat(r.syncInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void severalReplicasEachWithItsOwnNameAndInterval() throws Exception {
        Config c = parse("""
                access-key-id: $KEY
                secret-access-key: ${KEY}-secret
                region: eu-west-1
                dbs:
                  - path: /data/app.db
                    replicas:
                      - name: local
                        path: /backups/app
                        sync-interval: 0s
                      - name: offsite
                        type: s3
                        bucket: ${BUCKET}
                        path: app
                        endpoint: http://127.0.0.1:9000
                """);
        List<ReplicaConfig> replicas = c.dbs().getFirst().replicas();
        assertThat(replicas).extracting(ReplicaConfig::name).containsExactly("local", "offsite");
        assertThat(replicas.get(0).syncInterval()).isEqualTo(Duration.ZERO);
        ReplicaConfig s3 = replicas.get(1);
        assertThat(s3.type()).isEqualTo("s3");
        assertThat(s3.keys()).containsEntry("bucket", "backups").containsEntry("path", "app").containsEntry("region", "eu-west-1")
                .containsEntry("access-key-id", "AKIA123").containsEntry("secret-access-key", "AKIA123-secret");
        assertThat(s3.toString()).doesNotContain("AKIA123");
        try (ReplicaClient client = s3.open()) {
            assertThat(client.location()).contains("s3://backups/app").contains("127.0.0.1:9000").doesNotContain("AKIA123");
            assertThat(s3.effectiveSyncInterval()).isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(replicas.get(0).keys()).as("S3 credentials are not file replica keys").containsOnlyKeys("path");
    }

    @Test
    void environmentExpansionCanBeTurnedOff() {
        Config c = ConfigLoader.parse(dir.resolve("l.yml"), "dbs:\n  - path: /data/$NAME.db\n    replica:\n      path: /b\n", Map.of("NAME", "x"), false);
        assertThat(c.dbs().getFirst().path()).isEqualTo(Path.of("/data/$NAME.db"));
        Config expanded = ConfigLoader.parse(dir.resolve("l.yml"), "dbs:\n  - path: /data/$NAME.db\n    replica:\n      path: /b\n", Map.of("NAME", "x"), true);
        assertThat(expanded.dbs().getFirst().path()).isEqualTo(Path.of("/data/x.db"));
    }

    @Test
    void litestream03KeysAreWarningsNamingTheLine() {
        Config c = parse("""
                dbs:
                  - path: /data/app.db
                    max-checkpoint-page-count: 10000
                    replicas:
                      - url: s3://bucket/app
                        validation-interval: 6h
                        retention-check-interval: 1h
                """);
        assertThat(c.warnings()).hasSize(3);
        assertThat(c.warnings().get(0)).startsWith(file() + " line 6: ")
                .contains("\"dbs[0].replicas[0].validation-interval\" is a Litestream 0.3 setting and is ignored");
        assertThat(String.join("\n", c.warnings())).contains("line 7: ").contains("line 3: ").contains("max-checkpoint-page-count");
    }

    @Test
    void eachReplicaMayKeepItsOwnHistory() {
        Config c = parse("""
                snapshot:
                  retention: 24h
                dbs:
                  - path: /data/app.db
                    replicas:
                      - name: local
                        path: /backups/app
                        retention: 2h
                        snapshot-interval: 1h
                      - name: offsite
                        url: s3://bucket/app
                """);
        var replicas = c.dbs().getFirst().replicas();
        var local = replicas.get(0).compaction(c.compaction());
        assertThat(local.snapshotRetention()).isEqualTo(Duration.ofHours(2));
        assertThat(local.snapshotInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(local.levelIntervals()).isEqualTo(c.compaction().levelIntervals());
        assertThat(replicas.get(1).compaction(c.compaction())).isSameAs(c.compaction());
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void theKeysAnErrorListsAreTheKeysEachBlockReads() {
        // Each list comes from what the block's reader asked for: a key the code reads is listed, with no list to keep in step.
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    busy-timeot: 1s\n    replica:\n      path: /b\n"))
                .hasMessageContaining("unknown key \"dbs[0].busy-timeot\"")
                .hasMessageContaining("busy-timeout, checkpoint-interval, dir, max-sync-wal-bytes, meta-path, min-checkpoint-page-count, monitor-interval");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\nlogging:\n  levle: debug\n"))
                .hasMessageContaining("unknown key \"logging.levle\"").hasMessageContaining("known here: level, stderr, type");
        assertThatThrownBy(() -> parse("l0-retension: 1h\ndbs:\n  - path: /a.db\n    replica:\n      path: /b\n"))
                .hasMessageContaining("unknown key \"l0-retension\"").hasMessageContaining("l0-retention, l0-retention-check-interval, levels")
                .hasMessageContaining("secret-access-key"); // a backend's key, a default for every replica, comes from its factory
    }

    @Test
    void errorsNameTheFileTheLineAndTheKey() {
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      url: file:///b\n      acess-key-id: x\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file() + " line 5: ")
                .hasMessageContaining("unknown key \"dbs[0].replica.acess-key-id\"")
                .hasMessageContaining("known here: age, name, path, retention, snapshot-interval, sync-interval, type, url");
        assertThatThrownBy(() -> parse("dbz:\n  - path: /a.db\n"))
                .hasMessageStartingWith(file() + " line 1: ").hasMessageContaining("unknown key \"dbz\"");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    monitor-interval: soon\n    replica:\n      path: /b\n"))
                .hasMessageStartingWith(file() + " line 3: ")
                .hasMessageContaining("\"dbs[0].monitor-interval\": invalid value \"soon\": want a duration such as 1s");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      url: ftp://host/b\n"))
                .hasMessageStartingWith(file() + " line 4: ").hasMessageContaining("unknown replica type ftp (supported: "
                        + String.join(", ", io.litestream4j.core.replica.ReplicaClients.factories().keySet()) + ")");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      type: s3\n      url: file:///b\n"))
                .hasMessageContaining("type s3 does not match the url's scheme file");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n  - path: /a.db\n    replica:\n      path: /c\n"))
                .hasMessageStartingWith(file() + " line 5: ").hasMessageContaining("database /a.db is configured twice");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n"))
                .hasMessageStartingWith(file() + " line 2: ").hasMessageContaining("want a replica");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n    replicas:\n      - path: /c\n"))
                .hasMessageContaining("set replica or replicas, not both");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replicas:\n      - path: /b\n      - path: /c\n"))
                .hasMessageContaining("two replicas named \"file\"");
        assertThatThrownBy(() -> parse("levels:\n  - interval: 5m\n  - interval: 30s\n"))
                .hasMessageContaining("levels[1].interval: want at least the level below's");
        assertThatThrownBy(() -> parse("logging:\n  level: loud\n"))
                .hasMessageStartingWith(file() + " line 2: ").hasMessageContaining("\"logging.level\": invalid value \"loud\"");
        assertThatThrownBy(() -> parse("dbs: [\n"))
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n    dbs: x\n    path: /c\n"))
                .hasMessageContaining("\"dbs[0].path\" is set twice");
    }

    @Test
    void featuresNotBuiltYetAreErrorsNotSilence() {
        for (String yaml : List.of("age: x\n")) {
            assertThatThrownBy(() -> parse(yaml)).as(yaml).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(file() + " line ").hasMessageContaining("not supported by litestream4j yet");
        }
    }

    @Test
    void mcpAddrIsAHostAndPortOrNothing() {
        assertThat(parse("mcp-addr: 127.0.0.1:3001\n").mcpAddr()).isEqualTo("127.0.0.1:3001");
        assertThat(parse("mcp-addr: \":3001\"\n").mcpAddr()).isEqualTo(":3001");
        assertThat(parse("mcp-addr: \"\"\n").mcpAddr()).isNull();
        assertThat(parse("socket:\n  enabled: false\n").mcpAddr()).isNull();
        assertThatThrownBy(() -> parse("mcp-addr: localhost\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 1: \"mcp-addr\": invalid value \"localhost\"");
    }

    @Test
    void theControlSocketIsOffByDefaultWithLitestreamsPathAndMode() {
        var none = parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n").socket();
        assertThat(none).isEqualTo(new SocketSection(false, Path.of("/var/run/litestream.sock"), 0600));
        var on = parse("socket:\n  enabled: true\n  path: /tmp/x.sock\n  permissions: 0660\ndbs:\n  - path: /a.db\n    replica:\n      path: /b\n")
                .socket();
        assertThat(on).isEqualTo(new SocketSection(true, Path.of("/tmp/x.sock"), 0660));
        assertThat(parse("socket:\n  permissions: 0o640\n").socket().permissions()).isEqualTo(0640);
        assertThat(parse("socket:\n  permissions: 384\n").socket().permissions()).as("decimal, as Go reads it").isEqualTo(0600);
        for (String bad : List.of("600", "0800", "rw", "01777")) {
            assertThatThrownBy(() -> parse("socket:\n  permissions: " + bad + "\n")).as(bad).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("line 2: \"socket.permissions\": invalid value \"" + bad + "\"");
        }
        assertThatThrownBy(() -> parse("socket:\n  enable: true\n")).isInstanceOf(ConfigException.class).hasMessageContaining("socket.enable");
    }

    @Test
    void validationAndVerifyCompactionAreReadAsLitestreamSpellsThem() {
        Config none = parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n");
        assertThat(none.validationInterval()).isNull();
        assertThat(none.verifyCompaction()).isFalse();
        Config on = parse("validation:\n  interval: 1h\nverify-compaction: true\n");
        assertThat(on.validationInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(on.verifyCompaction()).isTrue();
        assertThatThrownBy(() -> parse("validation:\n  interval: 0s\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2: \"validation.interval\": invalid value \"0s\"");
        assertThatThrownBy(() -> parse("validation:\n  intervl: 1h\n")).isInstanceOf(ConfigException.class).hasMessageContaining("validation.intervl");
    }

    @Test
    void maxSyncWalBytesIsAWholeNumberOfBytes() {
        assertThat(parse("dbs:\n  - path: /a.db\n    replica:\n      path: /b\n").dbs().getFirst().options().maxSyncWalBytes())
                .as("Litestream 0.5's default").isEqualTo(64L << 20);
        assertThat(parse("dbs:\n  - path: /a.db\n    max-sync-wal-bytes: 1000\n    replica:\n      path: /b\n").dbs().getFirst()
                .options().maxSyncWalBytes()).isEqualTo(1000);
        assertThat(parse("dbs:\n  - path: /a.db\n    max-sync-wal-bytes: 0\n    replica:\n      path: /b\n").dbs().getFirst()
                .options().maxSyncWalBytes()).as("0: unlimited").isZero();
        for (String bad : List.of("-1", "64MiB", "1.5")) {
            assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    max-sync-wal-bytes: " + bad + "\n    replica:\n      path: /b\n"))
                    .as(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith(file() + " line 3: ")
                    .hasMessageContaining("\"dbs[0].max-sync-wal-bytes\": invalid value \"" + bad + "\"");
        }
    }

    @Test
    void anEmptyFileHasNoDatabases() {
        assertThat(parse("").dbs()).isEmpty();
    }

    @Test
    void directoryModeFindsDatabasesAndGivesEachItsOwnReplicaPath() throws Exception {
        Path data = java.nio.file.Files.createDirectories(dir.resolve("data"));
        java.nio.file.Files.createDirectories(data.resolve("sub"));
        for (Path db : List.of(data.resolve("a.db"), data.resolve("sub").resolve("b.db"))) {
            io.litestream4j.core.TestDb.create(db.getParent(), db.getFileName().toString(), 4096, 1);
        }
        java.nio.file.Files.writeString(data.resolve("notes.db"), "not a database");
        Config c = ConfigLoader.parse(dir.resolve("l.yml"), """
                dbs:
                  - dir: %s
                    pattern: "*.db"
                    recursive: true
                    watch: true
                    replicas:
                      - name: local
                        path: /backups
                      - name: s3
                        url: s3://bucket/prefix?region=eu-west-1
                """.formatted(data), Map.of(), true);
        assertThat(c.dbs()).isEmpty();
        DirectoryConfig d = c.directories().getFirst();
        assertThat(d.watch()).isTrue();
        List<DatabaseConfig> found = d.scan();
        assertThat(found).extracting(DatabaseConfig::path).containsExactly(data.resolve("a.db"), data.resolve("sub").resolve("b.db"));
        DatabaseConfig b = found.get(1);
        assertThat(b.replicas().get(0).keys()).containsEntry("path", "/backups/sub/b.db");
        assertThat(b.replicas().get(1).url().toString()).isEqualTo("s3://bucket/prefix/sub/b.db?region=eu-west-1");
        assertThat(c.database(data.resolve("sub").resolve("new.db"))).as("a database not created yet is still covered").isPresent();
        assertThat(c.database(dir.resolve("elsewhere.db"))).isEmpty();

        assertThatThrownBy(() -> parse("dbs:\n  - dir: /data\n    replica:\n      path: /b\n")).hasMessageContaining("directory mode wants a pattern");
        assertThatThrownBy(() -> parse("dbs:\n  - path: /a.db\n    pattern: \"*.db\"\n    replica:\n      path: /b\n"))
                .hasMessageStartingWith(file() + " line 3: ").hasMessageContaining("only for directory mode");
        assertThatThrownBy(() -> parse("dbs:\n  - dir: /data\n    pattern: \"*.db\"\n    meta-path: /m\n    replica:\n      path: /b\n"))
                .hasMessageContaining("remove meta-path");
    }
}
