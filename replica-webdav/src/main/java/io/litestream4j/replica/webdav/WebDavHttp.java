package io.litestream4j.replica.webdav;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;

/**
 * The HTTP side of a WebDAV replica: one JDK {@link HttpClient} (HTTP/1.1, no redirects, so
 * credentials never follow a redirect elsewhere), Basic auth sent with every request rather than
 * after a 401 (a retried PUT would need its body twice), errors that name the replica and the
 * request but never a credential, and answers whose body must keep coming: a read that waits
 * longer than the request's timeout for a byte fails ({@link StalledBodyTimeout}).
 */
final class WebDavHttp implements AutoCloseable {
    private final WebDavSettings settings;
    private final HttpClient http;
    private final String authorization;

    WebDavHttp(WebDavSettings settings, SSLContext ssl) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout());
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
        this.authorization = settings.username() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((settings.username() + ":" + (settings.password() == null ? "" : settings.password()))
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** A request to {@code uri} with auth and the given timeout; {@code body} null for none. */
    HttpRequest.Builder request(String method, URI uri, BodyPublisher body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).method(method, body == null ? BodyPublishers.noBody() : body);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    /**
     * Sends {@code request}; the answer's body is a stream the caller closes. A failure to connect
     * or a timeout is an IOException naming the replica and {@code what}.
     */
    HttpResponse<InputStream> send(HttpRequest request, String what) throws IOException {
        // The client's timeout ends with the headers; each read of the body must make progress within it too.
        String where = "webdav replica %s: %s".formatted(settings.describe(), what);
        Duration timeout = request.timeout().orElse(settings.timeout());
        try {
            try {
                return sendOnce(request, timeout, where);
            } catch (IOException e) {
                if (!closedWithoutAnswer(e) || !REPEATABLE.contains(request.method())) {
                    throw e;
                }
                // A kept-alive connection the server closed as we sent on it (Apache closes idle
                // ones after its KeepAliveTimeout); the JDK's client repeats only GET and HEAD.
                return sendOnce(request, timeout, where);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("webdav replica %s: %s: interrupted".formatted(settings.describe(), what));
        } catch (IOException e) {
            String cause = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            IOException wrapped = new IOException("webdav replica %s: %s: %s%s".formatted(settings.describe(), what, cause,
                    e instanceof java.net.ConnectException ? " (is the server at " + settings.server() + " running?)" : ""), e);
            throw wrapped;
        }
    }

    /**
     * Requests sent again, once, when the connection closed before any answer: they change nothing
     * (GET, HEAD, PROPFIND) or doing them twice ends the same (DELETE, whose callers take 404 as
     * done). Not PUT, MOVE or MKCOL: their second answer could misreport the first's effect.
     */
    private static final java.util.Set<String> REPEATABLE = java.util.Set.of("GET", "HEAD", "PROPFIND", "DELETE");

    private HttpResponse<InputStream> sendOnce(HttpRequest request, Duration timeout, String where) throws IOException, InterruptedException {
        return http.send(request, info -> HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofInputStream(),
                body -> new StalledBodyTimeout(body, timeout, where)));
    }

    /** The connection ended before a byte of the answer came (the JDK's wording; an EOF below it). */
    private static boolean closedWithoutAnswer(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.io.EOFException || (t.getMessage() != null && t.getMessage().contains("received no bytes"))) {
                return true;
            }
        }
        return false;
    }

    /** Sends a request whose answer must be one of {@code ok}; the body is read and dropped. Returns the status. */
    int exchange(HttpRequest request, String what, int... ok) throws IOException {
        HttpResponse<InputStream> r = send(request, what);
        try (InputStream body = r.body()) {
            for (int s : ok) {
                if (r.statusCode() == s) {
                    body.transferTo(java.io.OutputStream.nullOutputStream());
                    return s;
                }
            }
            throw failure(what, r.statusCode(), body);
        }
    }

    /** The error for an unexpected status, with the start of the server's explanation. */
    WebDavException failure(String what, int status, InputStream body) {
        String detail = "";
        try {
            detail = new String(body.readNBytes(300), StandardCharsets.UTF_8).replaceAll("<[^>]*>", " ").replaceAll("\\s+", " ").trim();
        } catch (IOException ignored) {
            // the explanation is a courtesy; the status says what failed
        }
        return new WebDavException(settings.describe(), what, status, detail);
    }

    @Override
    public void close() {
        http.close();
    }
}
