package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code webdav://[user[:password]@]host[:port]/path} (HTTP) and {@code webdavs://...} (HTTPS),
 * or a config section with {@code webdav-url} ({@code http[s]://host[:port][/folder]}),
 * {@code webdav-username}, {@code webdav-password} and {@code path}, as Litestream 0.5 reads them:
 * the config keys win over the URL's user and password; {@code url} with {@code path} or with
 * {@code webdav-url} is an error.
 */
public final class WebDavReplicaClientFactory implements ReplicaClientFactory {
    @Override
    public Set<String> schemes() {
        return Set.of("webdav", "webdavs");
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("webdav-url", "webdav-username", "webdav-password", "path");
    }

    @Override
    public Set<String> secretKeys() {
        return Set.of("webdav-password");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(ReplicaSpec.of(url, this));
    }

    @Override
    public ReplicaClient create(ReplicaSpec spec) throws IOException {
        return new WebDavReplicaClient(settings(spec));
    }

    /** The settings {@code spec} describes; a missing or contradictory one is an error naming the key, never a secret. */
    WebDavSettings settings(ReplicaSpec spec) throws IOException {
        URI url = spec.url();
        String webdavUrl = spec.get("webdav-url");
        String username = spec.get("webdav-username");
        String password = spec.get("webdav-password");
        List<String> folders = new ArrayList<>();
        URI server;
        if (url != null) {
            if (webdavUrl != null) {
                throw spec.error("set url or webdav-url, not both");
            }
            if (spec.keys().containsKey("path")) {
                throw spec.error("set url or path, not both");
            }
            if (url.getHost() == null || url.getHost().isEmpty()) {
                throw spec.error("want a host, as in webdav://user:password@host/path");
            }
            server = server("webdavs".equalsIgnoreCase(url.getScheme()) ? "https" : "http", url.getHost(), url.getPort(), spec);
            folders.addAll(WebDavSettings.segments(url.getPath()));
            username = username != null ? username : emptyToNull(spec.user());
            password = password != null ? password : emptyToNull(spec.password());
        } else {
            if (webdavUrl == null) {
                throw spec.error("want webdav-url (the server, as in https://dav.example.com/backups) or url");
            }
            if (webdavUrl.matches("(?s)^[^/]*//[^/]*@.*")) {
                // not through spec.error: that would print the URL, password and all
                throw new IOException("webdav replica: webdav-url must not hold a user or password: set webdav-username and webdav-password");
            }
            URI base;
            try {
                base = new URI(webdavUrl.trim());
            } catch (URISyntaxException e) {
                throw spec.error("webdav-url: not a URL: %s".formatted(e.getReason()));
            }
            String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw spec.error("webdav-url %s: want an http:// or https:// URL".formatted(base));
            }
            if (base.getHost() == null || base.getHost().isEmpty()) {
                throw spec.error("webdav-url %s: want a host".formatted(base));
            }
            server = server(scheme, base.getHost(), base.getPort(), spec);
            folders.addAll(WebDavSettings.segments(base.getPath()));
            folders.addAll(WebDavSettings.segments(spec.get("path")));
        }
        return new WebDavSettings(server, folders, username, password, WebDavSettings.DEFAULT_TIMEOUT);
    }

    private static URI server(String scheme, String host, int port, ReplicaSpec spec) throws IOException {
        try {
            return new URI(scheme, null, host, port, null, null, null);
        } catch (URISyntaxException e) {
            throw spec.error("host %s: %s".formatted(host, e.getReason()));
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
