package io.litestream4j.core.replica;

/**
 * A real storage server a test started on loopback, and replica clients for it that connect to
 * a port given by the test: the server's own, or that of a proxy in front of it
 * ({@link TcpFaultProxy}), so generic tests can harm or count a backend's traffic without
 * knowing its protocol.
 */
public interface LoopbackServer extends AutoCloseable {
    /** The port the server listens on at 127.0.0.1. */
    int port();

    /**
     * A client of one replica (the same bucket/container/folder on every call) that connects to
     * 127.0.0.1:{@code port} as if the server were there.
     */
    ReplicaClient client(int port) throws Exception;

    /** A client of the same replica connecting to the server directly. */
    default ReplicaClient client() throws Exception {
        return client(port());
    }

    @Override
    void close() throws Exception;

    /** {@code url} with its port replaced by {@code port} (user, host, path and query kept). */
    static String atPort(String url, int port) {
        java.net.URI u = java.net.URI.create(url);
        String authority = (u.getRawUserInfo() != null ? u.getRawUserInfo() + "@" : "") + u.getHost() + ":" + port;
        return u.getScheme() + "://" + authority + (u.getRawPath() == null ? "" : u.getRawPath()) + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }
}
