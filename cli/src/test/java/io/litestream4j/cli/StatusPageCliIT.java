package io.litestream4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.litestream4j.core.TestDb;
import java.awt.image.BufferedImage;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page of the real {@code replicate} on {@code addr}: its JSON against the process's
 * state, its headers, its refusal of anything but GET, and the page itself rendered by headless
 * Chromium (Debian's {@code chromium}, installed by .ci/run): the DOM after its script ran shows
 * the database, its TXID and its replica, and a screenshot is a drawn page, not a blank one.
 */
@Timeout(600) // many times its usual time on a busy machine; it ends a hang, not a slow run
class StatusPageCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static HttpResponse<String> request(String method, String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Chromium from PATH; under CI a missing one fails the test, elsewhere it is skipped with a message. */
    private static String chromium() {
        for (String dirName : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : List.of("chromium", "chromium-browser")) {
                if (Files.isExecutable(Path.of(dirName, name))) {
                    return Path.of(dirName, name).toString();
                }
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("chromium is not installed: .ci/run installs Debian's chromium package");
        }
        Assumptions.abort("chromium is not installed (apt-get install chromium): the page was not rendered");
        return null;
    }

    /** Runs headless Chromium on {@code url} with {@code flags}; returns its standard output. */
    private String runChromium(String chromium, String url, String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium")));
        cmd.addAll(List.of(flags));
        cmd.add(url);
        Path out = dir.resolve("chromium-out.txt");
        Path err = dir.resolve("chromium-err.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 180 s: " + Files.readString(err));
        }
        assertThat(p.exitValue()).as(Files.readString(err)).isZero();
        return Files.readString(out);
    }

    @Test
    void thePageShowsEachDatabaseAndReplicaAndItsRestorableWindow() throws Exception {
        Path db = TestDb.create(dir, "app.db", 4096, 20);
        Path replica = dir.resolve("replica");
        Path socket = dir.resolve("ls.sock");
        int port = freePort();
        Path config = CliProcess.writeConfig(dir, """
                addr: 127.0.0.1:%d
                socket:
                  enabled: true
                  path: %s
                snapshot:
                  interval: 1s
                levels:
                  - interval: 1s
                dbs:
                  - path: %s
                    replica:
                      name: backup
                      path: %s
                """.formatted(port, socket, db, replica));
        CliProcess p = CliProcess.start(dir, "replicate", "-config", config.toString());
        String base = "http://127.0.0.1:" + port;
        try {
            // 180 s: the first start after a build also makes the launcher's start-up cache, which a
            // parallel IT fork may be doing (it holds the build lock) on a loaded machine.
            assertThat(p.awaitLog("control socket listening", Duration.ofSeconds(180))).as(p.output().toString()).isTrue();
            // Writes for 3 s: with 1 s compactions and snapshots, the window holds several of each.
            String txid = QuietAfterWrites.txid(dir, db, socket, Duration.ofSeconds(3));

            // The JSON: the process's state.
            HttpResponse<String> json = request("GET", base + "/status.json");
            assertThat(json.statusCode()).isEqualTo(200);
            assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode status = JSON.readTree(json.body());
            assertThat(status.get("pid").asLong()).isEqualTo(p.pid());
            JsonNode d = status.get("databases").get(0);
            assertThat(d.get("path").asText()).isEqualTo(db.toString());
            assertThat(d.get("status").asText()).isEqualTo("replicating");
            assertThat(d.get("txid").asText()).isEqualTo(txid);
            JsonNode r = d.get("replicas").get(0);
            assertThat(r.get("name").asText()).isEqualTo("backup");
            assertThat(r.get("txid").asText()).isEqualTo(txid);
            // Level 0 is still (no writes, and L0 retention is 5 min); the compacted levels may gain a file meanwhile.
            try (var l0 = Files.list(replica.resolve("ltx").resolve("0"))) {
                assertThat(r.get("files_per_level").get("0").asLong()).isEqualTo(l0.filter(f -> f.toString().endsWith(".ltx")).count());
            }
            assertThat(r.get("files_per_level").get("9").asLong()).as("snapshots").isPositive();
            JsonNode timeline = r.get("timeline");
            assertThat(timeline.get("latest_txid").asText()).isEqualTo(txid);
            assertThat(timeline.get("earliest").asText()).isNotEmpty();
            assertThat(timeline.get("snapshots").size()).isPositive();
            assertThat(timeline.get("restore_points").size()).isPositive();

            // The page's headers; read-only; nothing else served at its paths.
            HttpResponse<String> page = request("GET", base + "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertThat(csp).startsWith("default-src 'none'; script-src 'sha256-").contains("frame-ancestors 'none'").contains("connect-src 'self'")
                    .doesNotContain("unsafe-inline").doesNotContain("http:").doesNotContain("https:").doesNotContain("*");
            assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
            assertThat(page.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
            assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(page.body()).doesNotContain("src=\"http").doesNotContain("href=\"http").doesNotContain("<link");
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                HttpResponse<String> refused = request(method, base + "/");
                assertThat(refused.statusCode()).as(method).isEqualTo(405);
                assertThat(refused.headers().firstValue("Allow")).hasValue("GET");
                assertThat(request(method, base + "/status.json").statusCode()).as(method + " json").isEqualTo(405);
            }
            assertThat(request("GET", base + "/nothing-here").statusCode()).isEqualTo(404);
            assertThat(request("GET", base + "/healthz").body()).isEqualTo("ok\n");

            // Rendered by a real browser: the script ran (built the database's section from the
            // state) and refreshed from /status.json at least once (virtual time: no real wait).
            String chromium = chromium();
            String dom = runChromium(chromium, base + "/", "--virtual-time-budget=6000", "--dump-dom");
            assertThat(dom).contains("data-path=\"" + db + "\"").contains("<td class=\"mono txid\">" + txid + "</td>")
                    .contains(">backup</td>").contains(replica.toUri().toString().replaceAll("/$", "")).contains("<svg")
                    .contains("Restorable window of backup");
            assertThat(Pattern.compile("data-refreshes=\"[1-9]").matcher(dom).find()).as("refreshed from /status.json:\n" + dom).isTrue();

            Path png = dir.resolve("page.png");
            runChromium(chromium, base + "/", "--virtual-time-budget=3000", "--window-size=1200,900", "--screenshot=" + png);
            BufferedImage image = ImageIO.read(png.toFile());
            assertThat(image).as("a PNG at " + png).isNotNull();
            Set<Integer> colours = new HashSet<>();
            int background = image.getRGB(image.getWidth() / 2, image.getHeight() - 2) & 0xffffff;
            long drawn = 0;
            long green = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y) & 0xffffff;
                    colours.add(rgb);
                    drawn += rgb != background ? 1 : 0;
                    int red = rgb >> 16 & 0xff;
                    int grn = rgb >> 8 & 0xff;
                    int blue = rgb & 0xff;
                    green += grn > red + 30 && grn > blue + 20 ? 1 : 0;
                }
            }
            long pixels = (long) image.getWidth() * image.getHeight();
            assertThat(colours.size()).as("distinct colours").isGreaterThan(30);
            assertThat(drawn).as("pixels not the background").isGreaterThan(pixels / 20);
            assertThat(image.getRGB(5, 5) & 0xffffff).as("the dark header band").isEqualTo(0x1d2330);
            assertThat(green).as("the restorable window's green band").isGreaterThan(500);
        } finally {
            p.terminate();
        }
        CliProcess.Result r = p.await(Duration.ofSeconds(60));
        assertThat(r.code()).as(r.toString()).isZero();
    }
}
