package io.litestream4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The control socket's transport: HTTP/1.1 over a unix-domain socket, one request per
 * connection ({@code Connection: close}), bodies sized by {@code Content-Length}. This is all
 * Litestream's CLI, Go's HTTP client and {@code curl --unix-socket} send; a chunked body is
 * answered 411. Each connection is served on its own virtual thread.
 *
 * <p>Guarantees: the socket file has the configured mode from the moment it has its name (it
 * is bound in a private directory, given its mode, then linked into place), so no one else can
 * connect in between; a socket file left by a process that died is replaced, a socket another
 * process still listens on is refused, and anything that is not a socket is never deleted.
 */
final class ControlSocket implements AutoCloseable {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get("litestream");
    private static final int MAX_HEAD = 16 * 1024;
    private static final int MAX_BODY = 1 << 20;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /** A parsed request. */
    record Request(String method, String path, String query, byte[] body) {}

    /** An answer: a status and a JSON body. */
    record Response(int status, byte[] body) {}

    /** Answers requests; it must not throw (an exception is answered 500 and logged). */
    @FunctionalInterface
    interface Handler {
        Response handle(Request request);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Handler handler;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private ControlSocket(Path path, ServerSocketChannel server, Handler handler) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.acceptor = Thread.ofVirtual().name("control socket").start(this::accept);
    }

    /** Listens on {@code path} with file mode {@code permissions} (such as {@code 0600}). */
    static ControlSocket start(Path path, int permissions, Handler handler) throws IOException {
        Path target = path.toAbsolutePath().normalize();
        clearStale(target);
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("control socket %s: directory %s does not exist".formatted(target, dir));
        }
        // A private directory beside the target: the socket is made there, chmod-ed, then renamed
        // into place, so it is never reachable with the process umask's (wider) mode.
        Path staging = Files.createTempDirectory(dir, ".litestream-sock-", PosixFilePermissions.asFileAttribute(
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
        Path made = staging.resolve("s");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(made), 64);
            Files.setPosixFilePermissions(made, permissions(permissions));
            Files.createLink(target, made); // link(2): fails rather than replace a file that appeared meanwhile
        } catch (FileAlreadyExistsException e) {
            server.close();
            throw new IOException("control socket %s: a file appeared there while starting".formatted(target), e);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw new IOException("control socket %s: cannot listen: %s".formatted(target, e.getMessage()), e);
        } finally {
            Files.deleteIfExists(made);
            Files.deleteIfExists(staging);
        }
        LOG.log(System.Logger.Level.INFO, "control socket listening on {0}", target);
        return new ControlSocket(target, server, handler);
    }

    /**
     * Removes a socket file nobody listens on (left by a process that died); refuses a socket
     * another process answers on, and any file that is not a socket (a symbolic link included).
     */
    static void clearStale(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("control socket %s: the path exists and is not a socket; remove it or choose another socket.path".formatted(path));
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("control socket %s: another process is listening on it (another litestream replicate?)".formatted(path));
        } catch (java.net.ConnectException e) {
            Files.deleteIfExists(path); // refused: nobody listens, it is a leftover
            LOG.log(System.Logger.Level.INFO, "control socket {0}: replaced a stale socket file", path);
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder s = new StringBuilder();
        String letters = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            s.append((mode & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(s.toString());
    }

    Path path() {
        return path;
    }

    private void accept() {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "control socket {0}: accept failed: {1}", path, e.getMessage());
                return;
            }
            open.add(c);
            Thread.ofVirtual().name("control request").start(() -> serve(c));
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            InputStream in = Channels.newInputStream(c);
            OutputStream out = Channels.newOutputStream(c);
            Response response;
            boolean unread = false;
            try {
                Request request = read(in);
                response = request == null ? null : handle(request);
            } catch (BadRequest e) {
                response = new Response(e.status, ControlApi.error(e.getMessage(), null));
                unread = true;
            }
            if (response != null) {
                write(out, response);
            }
            if (unread) {
                drain(c, in);
            }
        } catch (IOException e) {
            // the client went away (or we are closing): nothing to answer
        } finally {
            open.remove(c);
        }
    }

    /**
     * After refusing a request whose body we did not read: lets the client read the answer
     * before the connection closes (closing a unix socket with unread input resets it, and the
     * client would see the reset instead of our answer). At most {@link #MAX_BODY} bytes and 2 s.
     */
    private static void drain(SocketChannel c, InputStream in) throws IOException {
        c.shutdownOutput();
        Thread timer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(2000);
                c.close();
            } catch (InterruptedException | IOException done) {
                // drained in time
            }
        });
        try {
            in.readNBytes(MAX_BODY);
        } finally {
            timer.interrupt();
        }
    }

    private Response handle(Request request) {
        try {
            return handler.handle(request);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control socket: {0} {1} failed: {2}", request.method(), request.path(),
                    io.litestream4j.core.replica.ReplicaHealth.describe(e));
            return new Response(500, ControlApi.error(io.litestream4j.core.replica.ReplicaHealth.describe(e), null));
        }
    }

    private static final class BadRequest extends IOException {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** Reads one request; null if the client closed the connection without sending one. */
    static Request read(InputStream in) throws IOException {
        String head = readHead(in);
        if (head == null) {
            return null;
        }
        String[] lines = head.split("\r\n");
        String[] start = lines[0].split(" ");
        if (start.length != 3 || !start[2].startsWith("HTTP/1.")) {
            throw new BadRequest(400, "malformed request line");
        }
        long length = 0;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                throw new BadRequest(400, "malformed header line");
            }
            String name = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).strip();
            if (name.equals("transfer-encoding")) {
                throw new BadRequest(411, "send the body with a Content-Length");
            }
            if (name.equals("content-length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new BadRequest(400, "invalid Content-Length " + value);
                }
            }
        }
        if (length < 0 || length > MAX_BODY) {
            throw new BadRequest(413, "request body of %d bytes: at most %d".formatted(length, MAX_BODY));
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length != length) {
            throw new BadRequest(400, "request body ended after %d of %d bytes".formatted(body.length, length));
        }
        String target = start[1];
        int q = target.indexOf('?');
        return new Request(start[0], q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1), body);
    }

    /** The bytes up to the blank line ending the head, as ASCII; null at end of input before any byte. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new BadRequest(400, "request head ended early");
            }
            head.write(b);
            if (head.size() > MAX_HEAD) {
                throw new BadRequest(431, "request head over %d bytes".formatted(MAX_HEAD));
            }
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    static void write(OutputStream out, Response r) throws IOException {
        String head = "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                .formatted(r.status(), reason(r.status()), r.body().length);
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(r.body());
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            default -> "Internal Server Error";
        };
    }

    /** Stops listening, ends open connections and removes the socket file. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "control socket {0}: close failed: {1}", path, e.getMessage());
        }
        for (SocketChannel c : open) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        try {
            acceptor.join(java.time.Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "control socket {0}: removing it failed: {1}", path, e.getMessage());
        }
    }
}
