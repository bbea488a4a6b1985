package io.litestream4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The status page on {@code addr}: {@code /} shows each database and replica (TXID, lag, last
 * sync, errors, WAL size, files per level) and each replica's restorable window on a time axis;
 * {@code /status.json} is the same state ({@link LiveStatus}) as JSON, which the page fetches
 * every 2 s to refresh itself.
 *
 * <p>Guarantees: read-only (GET only, anything else 405; there is nothing on the page that
 * changes anything); self-contained (no external script, style, font or image: it works
 * offline); served with a Content-Security-Policy that allows only the page's own inline script
 * and style (by their SHA-256) and requests to this server, no framing
 * ({@code frame-ancestors 'none'}, {@code X-Frame-Options: DENY}), {@code nosniff},
 * {@code Referrer-Policy: no-referrer} and {@code Cache-Control: no-store}. The state is written
 * into the page with {@code textContent} only, so a database path cannot inject markup.
 */
final class StatusPage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PLACEHOLDER = "INITIAL_STATUS_JSON";

    private final LiveStatus live;
    private final String html;
    private final String csp;

    StatusPage(LiveStatus live) {
        this.live = live;
        try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IllegalStateException("status.html is missing from the jar");
            }
            this.html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.csp = "default-src 'none'; script-src " + hash(html, "<script>", "</script>") + "; style-src " + hash(html, "<style>", "</style>")
                + "; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /** The CSP source of the one inline block between {@code open} and {@code close}: {@code 'sha256-...'}. */
    private static String hash(String html, String open, String close) {
        Matcher m = Pattern.compile(Pattern.quote(open) + "(.*?)" + Pattern.quote(close), Pattern.DOTALL).matcher(html);
        if (!m.find()) {
            throw new IllegalStateException("status.html has no " + open + " block");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(m.group(1).getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    String contentSecurityPolicy() {
        return csp;
    }

    void register(HttpServer server) {
        server.createContext("/", this::page);
        server.createContext("/status.json", this::json);
    }

    private void page(HttpExchange exchange) throws IOException {
        if (!allowed(exchange, "/")) {
            return;
        }
        // The first state is in the page, so it shows at once (and without a second request);
        // "<" escaped so no value can close the data block.
        String initial = JSON.writeValueAsString(live.snapshot(true)).replace("<", "\\u003c");
        send(exchange, 200, "text/html; charset=utf-8", html.replace(PLACEHOLDER, initial));
    }

    private void json(HttpExchange exchange) throws IOException {
        if (allowed(exchange, "/status.json")) {
            send(exchange, 200, "application/json", JSON.writeValueAsString(live.snapshot(true)) + "\n");
        }
    }

    /** True for a GET of exactly {@code path}; otherwise answers 404 or 405 and returns false. */
    private boolean allowed(HttpExchange exchange, String path) throws IOException {
        if (!exchange.getRequestURI().getPath().equals(path)) {
            send(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            return false;
        }
        if (!exchange.getRequestMethod().equals("GET")) {
            exchange.getResponseHeaders().set("Allow", "GET");
            send(exchange, 405, "text/plain; charset=utf-8", "method " + exchange.getRequestMethod() + " not allowed: the status page is read-only\n");
            return false;
        }
        return true;
    }

    private void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Content-Security-Policy", csp);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
