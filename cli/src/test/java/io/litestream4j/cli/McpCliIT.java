package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.litestream4j.core.TestDb;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP server of the real {@code replicate} ({@code mcp-addr}), driven by the MCP Java SDK's
 * own client over Streamable HTTP: initialize, tools/list, and every tool called, each answer's
 * structured result checked against what the process did (the replica's files on disk, the
 * control socket's answers, the process id, a restore's contents).
 */
@Timeout(600) // many times its usual ~20 s on a busy machine; it ends a hang, not a slow run
class McpCliIT {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
        return client.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    private static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().getFirst()).text();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(McpSchema.CallToolResult r) {
        assertThat(r.isError()).as(text(r)).isNotEqualTo(Boolean.TRUE);
        assertThat(r.structuredContent()).as(text(r)).isInstanceOf(Map.class);
        return (Map<String, Object>) r.structuredContent();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    /** The replica folder's files of {@code level}, as {@code min-max} names without the suffix. */
    private static List<String> filesOnDisk(Path replica, int level) throws Exception {
        try (Stream<Path> s = Files.list(replica.resolve("ltx").resolve(Integer.toString(level)))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".ltx")).map(n -> n.substring(0, n.length() - 4)).sorted().toList();
        }
    }

    @Test
    void anMcpClientListsAndCallsEveryToolAndGetsThisProcesssState() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path other = TestDb.create(dir, "other.db", 4096, 5);
        Path replica = dir.resolve("replica");
        Path otherReplica = dir.resolve("other-replica");
        Path socket = dir.resolve("ls.sock");
        int port = freePort();
        Path config = CliProcess.writeConfig(dir, """
                mcp-addr: 127.0.0.1:%d
                socket:
                  enabled: true
                  path: %s
                dbs:
                  - path: %s
                    replica:
                      name: local
                      path: %s
                  - path: %s
                    replica:
                      path: %s
                """.formatted(port, socket, db, replica, other, otherReplica));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config.toString());
        try {
            // 180 s: the first start after a build also makes the launcher's start-up cache, which a
            // parallel IT fork may be doing (it holds the build lock) on a loaded machine.
            assertThat(p.awaitLog("serving MCP on http://127.0.0.1:" + port + "/mcp", Duration.ofSeconds(180))).as(p.output().toString()).isTrue();
            assertThat(p.awaitLog("control socket listening", Duration.ofSeconds(60))).as(p.output().toString()).isTrue();
            String txid = QuietAfterWrites.txid(dir, db, socket, Duration.ofMillis(1500));
            String version = CliProcess.run(dir, "version").out().strip().substring("litestream4j ".length());

            var transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port).endpoint("/mcp").build();
            try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).initializationTimeout(Duration.ofSeconds(60))
                    .build()) {
                McpSchema.InitializeResult init = client.initialize();
                assertThat(init.serverInfo().name()).isEqualTo("Litestream MCP Server");
                assertThat(init.capabilities().tools()).isNotNull();

                Map<String, McpSchema.Tool> tools = new HashMap<>();
                client.listTools().tools().forEach(t -> tools.put(t.name(), t));
                assertThat(tools).containsOnlyKeys("litestream_info", "litestream_databases", "litestream_status", "litestream_ltx",
                        "litestream_restore", "litestream_reset", "litestream_version");
                assertThat(tools.get("litestream_restore").inputSchema()).extractingByKey("properties").asInstanceOf(
                        org.assertj.core.api.InstanceOfAssertFactories.MAP).containsKeys("path", "o", "config", "txid", "timestamp", "parallelism",
                        "if_db_not_exists", "if_replica_exists");
                assertThat(tools.get("litestream_ltx").inputSchema()).extractingByKey("required").isEqualTo(List.of("path"));
                assertThat(tools.values()).allSatisfy(t -> assertThat(t.outputSchema()).isNotNull());

                // version: the binary's own.
                McpSchema.CallToolResult v = call(client, "litestream_version", Map.of());
                assertThat(structured(v)).containsEntry("version", version);
                assertThat(text(v)).isEqualTo("litestream4j " + version + "\n");

                // info: this process, its config and both databases.
                Map<String, Object> info = structured(call(client, "litestream_info", Map.of()));
                assertThat(((Number) info.get("pid")).longValue()).isEqualTo(p.pid());
                assertThat(info).containsEntry("config", config.toString()).containsEntry("version", version);
                assertThat(list(info.get("databases"))).extracting(d -> d.get("path")).containsExactly(db.toString(), other.toString());

                // databases: paths, replica names and where they go.
                Map<String, Object> dbs = structured(call(client, "litestream_databases", Map.of("config", config.toString())));
                Map<String, Object> first = list(dbs.get("databases")).getFirst();
                assertThat(first).containsEntry("path", db.toString()).containsEntry("status", "replicating");
                assertThat(list(first.get("replicas")).getFirst()).containsEntry("name", "local").containsEntry("type", "file");

                // status: the TXID that sync -wait reported, held by the replica, nothing waiting.
                McpSchema.CallToolResult st = call(client, "litestream_status", Map.of("path", db.toString()));
                Map<String, Object> status = list(structured(st).get("databases")).getFirst();
                assertThat(status).containsEntry("path", db.toString()).containsEntry("status", "replicating").containsEntry("txid", txid);
                assertThat(((Number) status.get("wal_size")).longValue()).isEqualTo(Files.exists(Path.of(db + "-wal")) ? Files.size(Path.of(db + "-wal")) : 0);
                Map<String, Object> rep = list(status.get("replicas")).getFirst();
                assertThat(rep).containsEntry("name", "local").containsEntry("txid", txid).containsEntry("lag_seconds", 0.0).doesNotContainKey("error");
                assertThat(rep.get("last_sync_at")).isNotNull();
                assertThat(text(st)).contains(db.toString()).contains(txid);

                // ltx: exactly the files of level 0 in the replica folder.
                Map<String, Object> ltx = structured(call(client, "litestream_ltx", Map.of("path", db.toString())));
                assertThat(list(ltx.get("files")).stream().map(f -> f.get("min_txid") + "-" + f.get("max_txid")).sorted().toList())
                        .isEqualTo(filesOnDisk(replica, 0)).isNotEmpty();
                assertThat(list(ltx.get("files")).getLast()).containsEntry("max_txid", txid);
                Map<String, Object> byUrl = structured(call(client, "litestream_ltx", Map.of("path", replica.toUri().toString(), "level", "all")));
                assertThat(list(byUrl.get("files"))).hasSizeGreaterThanOrEqualTo(list(ltx.get("files")).size());

                // restore: to a new file, the replicated state exactly.
                Path out = dir.resolve("restored.db");
                Map<String, Object> restored = structured(call(client, "litestream_restore", Map.of("path", db.toString(), "o", out.toString())));
                assertThat(restored).containsEntry("status", "restored").containsEntry("txid", txid).containsEntry("output", out.toString());
                assertThat(TestDb.integrityCheck(out)).isEqualTo("ok");
                assertThat(TestDb.digest(out)).isEqualTo(TestDb.digest(db));
                // ... by timestamp from a replica URL too.
                Path atTime = dir.resolve("at-time.db");
                Map<String, Object> timed = structured(call(client, "litestream_restore", Map.of("path", replica.toUri().toString(), "o", atTime.toString(),
                        "timestamp", java.time.Instant.now().plusSeconds(1).toString(), "parallelism", "2")));
                assertThat(timed).containsEntry("status", "restored").containsEntry("txid", txid);

                // restore refuses the live database, and never replaces a file.
                byte[] live = Files.readAllBytes(db);
                McpSchema.CallToolResult overLive = call(client, "litestream_restore", Map.of("path", db.toString()));
                assertThat(overLive.isError()).isTrue();
                assertThat(text(overLive)).contains("refusing to restore over " + db).contains("this process replicates it");
                assertThat(Files.readAllBytes(db)).isEqualTo(live);
                McpSchema.CallToolResult overFile = call(client, "litestream_restore", Map.of("path", db.toString(), "o", out.toString()));
                assertThat(overFile.isError()).isTrue();
                assertThat(text(overFile)).contains("already exists");
                assertThat(structured(call(client, "litestream_restore", Map.of("path", db.toString(), "o", out.toString(), "if_db_not_exists", true))))
                        .containsEntry("status", "skipped");

                // reset refuses a database being replicated; once stopped through the socket, it clears its local state.
                McpSchema.CallToolResult busy = call(client, "litestream_reset", Map.of("path", other.toString()));
                assertThat(busy.isError()).isTrue();
                assertThat(text(busy)).contains("refusing to reset " + other);
                CliProcess.Result stopped = CliProcess.run(dir, "stop", "-socket", socket.toString(), other.toString());
                assertThat(stopped.code()).as(stopped.toString()).isZero();
                Path localLtx = dir.resolve(".other.db-litestream").resolve("ltx");
                assertThat(localLtx).exists();
                Map<String, Object> reset = structured(call(client, "litestream_reset", Map.of("path", other.toString())));
                assertThat(reset).containsEntry("status", "reset").containsEntry("path", other.toString());
                assertThat(localLtx).doesNotExist();
                assertThat(list(structured(call(client, "litestream_status", Map.of())).get("databases")))
                        .filteredOn(d -> d.get("path").equals(other.toString())).singleElement().satisfies(d -> assertThat(d).containsEntry("status", "stopped"));

                // config: only this process's own.
                McpSchema.CallToolResult elsewhere = call(client, "litestream_status", Map.of("config", dir.resolve("other.yml").toString()));
                assertThat(elsewhere.isError()).isTrue();
                assertThat(text(elsewhere)).contains("whose config is " + config);
            }

            // A browser page (it always sends Origin) cannot call the tools.
            HttpResponse<String> fromPage = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp"))
                    .header("Origin", "http://evil.example").header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(fromPage.statusCode()).isEqualTo(403);
        } finally {
            p.terminate();
        }
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.err()).doesNotContain("Exception");
    }
}
