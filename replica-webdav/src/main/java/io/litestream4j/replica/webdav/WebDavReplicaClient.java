package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.ExactListings;
import io.litestream4j.core.replica.ExactTimestamps;
import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.Parallel;
import io.litestream4j.core.replica.RangedReads;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.SizedInput;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxFormatException;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;

/**
 * A replica on a WebDAV server, laid out as Litestream 0.5 lays it out:
 * {@code <folder>/ltx/<level>/<min>-<max>.ltx}, so either tool restores the other's replica.
 *
 * <table>
 * <tr><th>operation</th><th>requests</th></tr>
 * <tr><td>list a level</td><td>PROPFIND, Depth 1, on the level's folder (a missing folder is an empty level); a DELETE
 *     of each temporary upload abandoned more than an hour ago</td></tr>
 * <tr><td>read</td><td>GET with {@code Range}; a server that answers 200 with the whole file is skipped to the offset</td></tr>
 * <tr><td>write</td><td>before the first write to a level, PROPFIND of its folder and a DELETE of each temporary upload
 *     a killed writer left; MKCOL of each missing folder (once per folder and process), PUT with a Content-Length to a
 *     temporary name in the same folder, then MOVE onto the file's name with {@code Overwrite: T}</td></tr>
 * <tr><td>delete</td><td>DELETE per file (missing ones are fine); delete-all is one DELETE of {@code <folder>/ltx/}</td></tr>
 * </table>
 *
 * <p>Guarantees: a reader sees a whole file or none, even when the upload fails half-way (the
 * temporary name is never listed: it is not an LTX file name). On a server that refuses MOVE, the
 * first write fails, and later writes PUT in place (then atomic only if the server's own PUT is,
 * as Apache's mod_dav_fs is). Bodies are streamed, never held whole in memory.
 *
 * <p>Timestamps: a WebDAV server keeps no custom metadata every server honours, and its
 * {@code getlastmodified} is the upload time in whole seconds. So {@link #listFiles} reports that
 * time and {@link #listFilesExact} reads each file's LTX header (its first 100 bytes, a ranged
 * GET, at most {@value #PARALLEL} at a time, remembered per file) for the time its data was written.
 */
public final class WebDavReplicaClient implements ReplicaClient, RangedReads, ExactTimestamps, LegacyLayout {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(WebDavReplicaClient.class);
    static final String TYPE = "webdav";
    /** Requests in flight at once for per-file work (header reads, deletes). */
    static final int PARALLEL = 16;
    /** The slowest upload speed allowed for before a PUT times out, on top of the base timeout. */
    private static final long MIN_UPLOAD_BYTES_PER_SECOND = 256 << 10;

    /** A temporary upload's name: {@code .<file name>.<16 hex digits>.tmp}. */
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\.[0-9a-f]{16}-[0-9a-f]{16}\\.ltx\\.[0-9a-f]{16}\\.tmp");
    /** The longest a failed write's clean-up DELETE may take (it may run while the client is stopping). */
    private static final Duration CLEAN_UP_TIMEOUT = Duration.ofSeconds(5);
    /** Far longer than any upload takes, so no upload in flight is deleted. */
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    private final WebDavSettings settings;
    private final WebDavHttp http;
    /** Folders known to exist (created or seen): their MKCOLs are not repeated. */
    private final Set<URI> knownFolders = ConcurrentHashMap.newKeySet();
    private final HeaderTimes headerTimes = new HeaderTimes();
    /**
     * Temporary names of failed writes, deleted again after the next write that works: when the
     * server went away mid-write, the first DELETE failed too (or the server finished the PUT after
     * it).
     */
    private final java.util.Queue<URI> failedTemporaries = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Temporary names of this client's writes in flight: never swept. */
    private final Set<URI> inFlight = ConcurrentHashMap.newKeySet();
    /** Levels whose leftover uploads this client swept before its first write there. */
    private final Set<Integer> sweptLevels = ConcurrentHashMap.newKeySet();
    /** Set once the server refused a MOVE: writes then PUT in place. */
    private volatile boolean moveRefused;

    public WebDavReplicaClient(WebDavSettings settings) {
        this(settings, null);
    }

    /** A client trusting {@code ssl}'s certificates for {@code webdavs} (tests with a self-signed server); null for the JDK's. */
    WebDavReplicaClient(WebDavSettings settings, SSLContext ssl) {
        this.settings = settings;
        this.http = new WebDavHttp(settings, ssl);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String location() {
        return settings.describe();
    }

    private static List<String> levelSegments(int level) {
        return List.of("ltx", Integer.toString(level));
    }

    private URI levelFolder(int level) {
        return settings.resolve(levelSegments(level), true);
    }

    private URI fileUri(int level, String name) {
        return settings.resolve(List.of("ltx", Integer.toString(level), name), false);
    }

    private String path(int level, String name) {
        return fileUri(level, name).getRawPath();
    }

    /** One listed LTX file with what the server said about it. */
    private record Listed(LtxFileInfo info, Multistatus.Entry entry) {}

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        return list(level, fromTxid).stream().map(Listed::info).toList();
    }

    private List<Listed> list(int level, long fromTxid) throws IOException {
        List<Multistatus.Entry> entries = entries(level);
        String what = "list " + levelFolder(level).getRawPath();
        deleteAbandonedUploads(level, entries);
        List<Listed> out = new ArrayList<>();
        for (Multistatus.Entry e : entries) {
            Optional<TxidRange> range = e.folder() ? Optional.empty() : TxidRange.fromFileName(e.name());
            if (range.isEmpty() || Long.compareUnsigned(range.get().max(), fromTxid) < 0) {
                continue;
            }
            if (e.size() < 0) {
                throw new IOException("webdav replica %s: %s: the server gave no getcontentlength for %s".formatted(location(), what, e.name()));
            }
            Instant modified = e.modified() != null ? e.modified() : Instant.EPOCH;
            out.add(new Listed(new LtxFileInfo(level, range.get(), e.size(), modified), e));
        }
        out.sort(Comparator.comparing((Listed l) -> l.info().minTxid(), Long::compareUnsigned)
                .thenComparing(l -> l.info().maxTxid(), Long::compareUnsigned));
        return out;
    }

    /** The level folder's entries (PROPFIND, Depth 1); empty for a missing folder. */
    private List<Multistatus.Entry> entries(int level) throws IOException {
        URI folder = levelFolder(level);
        Optional<List<Multistatus.Entry>> entries = propfind(folder);
        if (entries.isPresent()) {
            knownFolders.add(folder);
        }
        return entries.orElse(List.of());
    }

    /** A folder's entries (PROPFIND, Depth 1; the folder itself among them); empty for a missing folder. */
    private Optional<List<Multistatus.Entry>> propfind(URI folder) throws IOException {
        String what = "list " + folder.getRawPath();
        HttpRequest request = http.request("PROPFIND", folder, BodyPublishers.ofString(Multistatus.PROPFIND_BODY), settings.timeout())
                .header("Depth", "1").header("Content-Type", "application/xml; charset=utf-8").build();
        HttpResponse<InputStream> r = http.send(request, what);
        List<Multistatus.Entry> entries;
        try (InputStream body = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            if (r.statusCode() != 207) {
                throw http.failure(what, r.statusCode(), body);
            }
            entries = Multistatus.parse(body, "webdav replica %s: %s".formatted(location(), what));
        }
        return Optional.of(entries);
    }

    /** One PROPFIND: does {@code <path>/generations/} hold anything? */
    @Override
    public boolean holdsLitestream03() throws IOException {
        return propfind(settings.resolve(List.of("generations"), true)).map(e -> e.stream().anyMatch(x -> !isSelf(x, "generations"))).orElse(false);
    }

    /**
     * Walks {@code generations/} (generation, snapshots or wal, file), one PROPFIND a folder.
     * Litestream 0.3 wrote no time of its own here: a file's time is the server's
     * {@code getlastmodified} (its upload, in whole seconds).
     */
    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        List<LegacyFile> out = new ArrayList<>();
        walk(List.of("generations"), out);
        return out;
    }

    private void walk(List<String> segments, List<LegacyFile> out) throws IOException {
        String self = segments.getLast();
        for (Multistatus.Entry e : propfind(settings.resolve(segments, true)).orElse(List.of())) {
            if (isSelf(e, self)) {
                continue;
            }
            List<String> child = new ArrayList<>(segments);
            child.add(e.name());
            if (e.folder()) {
                walk(child, out);
            } else if (!TEMPORARY.matcher(e.name()).matches()) {
                out.add(new LegacyFile(String.join("/", child), Math.max(0, e.size()), e.modified() != null ? e.modified() : Instant.EPOCH));
            }
        }
    }

    /** A PROPFIND's entry for the folder asked about (the 0.3 layout never nests a folder in one of its name). */
    private static boolean isSelf(Multistatus.Entry e, String folderName) {
        return e.folder() && e.name().equals(folderName);
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        URI uri = settings.resolve(List.of(LegacyLayout.checkedPath(location(), path).split("/")), false);
        String what = "get " + uri.getRawPath();
        HttpResponse<InputStream> r = http.send(http.request("GET", uri, null, settings.timeout()).build(), what);
        if (r.statusCode() == 200) {
            return r.body();
        }
        try (InputStream body = r.body()) {
            if (r.statusCode() == 404) {
                throw new NoSuchFileException(uri.getRawPath(), null, "Litestream 0.3 file not found in replica " + location());
            }
            throw http.failure(what, r.statusCode(), body);
        }
    }

    /**
     * Before this client's first write to a level: deletes every temporary upload in the level's
     * folder that is not one of this client's own uploads in flight. Those are left by a writer
     * killed between its PUT and its MOVE (SIGKILL, a crash, a power cut), and the one replicator
     * of a replica is the only writer there is (two are refused), so nothing live is lost; only a
     * writer sweeps, never a reader (a restore, a listing), so a reader never deletes a live
     * writer's upload. Best effort: a failure is retried before the next write.
     */
    private void sweepLeftoverUploads(int level) {
        if (!sweptLevels.add(level)) {
            return;
        }
        try {
            for (Multistatus.Entry e : entries(level)) {
                URI uri = fileUri(level, e.name());
                if (!e.folder() && TEMPORARY.matcher(e.name()).matches() && !inFlight.contains(uri)) {
                    http.exchange(http.request("DELETE", uri, null, settings.timeout()).build(), "delete " + uri.getRawPath(), 200, 204, 404);
                    LOG.log(System.Logger.Level.INFO, "webdav replica {0}: deleted {1}, an upload a stopped writer left unfinished", location(),
                            uri.getRawPath());
                }
            }
        } catch (IOException e) {
            sweptLevels.remove(level);
            LOG.log(System.Logger.Level.DEBUG, "webdav replica {0}: unfinished uploads not swept yet: {1}", location(), e.getMessage());
        }
    }

    /**
     * Deletes temporary uploads older than {@link #ABANDONED_AFTER}: left behind by a writer that
     * crashed between its PUT and its MOVE, or whose clean-up DELETE failed. Never listed as
     * files, they would otherwise only take space. Best effort: a failure is for the next listing.
     */
    private void deleteAbandonedUploads(int level, List<Multistatus.Entry> entries) {
        Instant cutoff = Instant.now().minus(ABANDONED_AFTER);
        for (Multistatus.Entry e : entries) {
            if (!e.folder() && TEMPORARY.matcher(e.name()).matches() && e.modified() != null && e.modified().isBefore(cutoff)) {
                URI uri = fileUri(level, e.name());
                try {
                    http.exchange(http.request("DELETE", uri, null, settings.timeout()).build(), "delete " + uri.getRawPath(), 200, 204, 404);
                } catch (IOException x) {
                    LOG.log(System.Logger.Level.DEBUG, "webdav replica {0}: abandoned upload not deleted yet: {1}", location(), x.getMessage());
                }
            }
        }
    }

    /**
     * The listing with each file's time read from its LTX header (the server's times are upload
     * times in whole seconds, which would put a point-in-time restore at the wrong file), as
     * {@link ExactListings} does for any replica, but remembering the times already read.
     */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return Parallel.map(list(level, fromTxid), PARALLEL, l -> {
            String key = HeaderTimes.key(level, l.entry());
            Instant known = headerTimes.get(key);
            if (known == null) {
                known = ExactListings.headerTime(this, l.info());
                if (known == null) {
                    return l.info(); // deleted since the listing: the restore plan copes with a missing file
                }
                headerTimes.put(key, known);
            }
            return new LtxFileInfo(level, l.info().range(), l.info().size(), known);
        });
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return open(level, range, 0, -1);
    }

    @Override
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        String name = range.fileName();
        String what = "get " + path(level, name);
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        HttpRequest.Builder get = http.request("GET", fileUri(level, name), null, settings.timeout());
        boolean ranged = offset > 0 || length > 0;
        if (ranged) {
            get.header("Range", "bytes=" + offset + "-" + (length > 0 ? Long.toString(offset + length - 1) : ""));
        }
        HttpResponse<InputStream> r = http.send(get.build(), what);
        int status = r.statusCode();
        if (status == 200 || status == 206) {
            return RangeBody.of(r.body(), status == 206, offset, length);
        }
        try (InputStream body = r.body()) {
            if (status == 404) {
                throw new NoSuchFileException(path(level, name), null, "ltx file not found in replica " + location());
            }
            if (status == 416) {
                return InputStream.nullInputStream(); // the range starts at or past the end
            }
            throw http.failure(what, status, body);
        }
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String name = range.fileName();
        URI target = fileUri(level, name);
        SizedInput body = new SizedInput(data, size, "webdav replica %s: put %s".formatted(location(), target.getRawPath()));
        ensureFolder(level);
        if (moveRefused) {
            put(level, target, body);
            return new LtxFileInfo(level, range, size, createdAt);
        }
        URI temp = fileUri(level, ".%s.%s.tmp".formatted(name, HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong())));
        inFlight.add(temp);
        try {
            sweepLeftoverUploads(level);
            put(level, temp, body);
            move(temp, target);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(temp, e);
            failedTemporaries.add(temp);
            throw e;
        } finally {
            inFlight.remove(temp);
        }
        deleteFailedTemporaries();
        return new LtxFileInfo(level, range, size, createdAt);
    }

    /** PUTs exactly the body's bytes, with their length, streamed; checks the body held no more. */
    private void put(int level, URI uri, SizedInput body) throws IOException {
        long size = body.size();
        // The JDK's publisher closes the stream at its end; the caller owns it, and requireEnd reads it after.
        InputStream unclosed = new java.io.FilterInputStream(body) {
            @Override
            public void close() {}
        };
        BodyPublisher publisher = size == 0 ? BodyPublishers.noBody() : BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> unclosed), size);
        Duration timeout = settings.timeout().plusSeconds(size / MIN_UPLOAD_BYTES_PER_SECOND);
        HttpRequest request = http.request("PUT", uri, publisher, timeout).header("Content-Type", "application/octet-stream").build();
        String what = "put " + uri.getRawPath();
        try {
            http.exchange(request, what, 200, 201, 204);
        } catch (WebDavException e) {
            if (e.status() == 404 || e.status() == 409) {
                knownFolders.remove(levelFolder(level)); // removed behind our back: created again on the next try
            }
            throw e;
        }
        body.requireEnd();
    }

    private void move(URI from, URI to) throws IOException {
        HttpRequest request = http.request("MOVE", from, null, settings.timeout()).header("Destination", to.toString()).header("Overwrite", "T").build();
        try {
            http.exchange(request, "move %s to %s".formatted(from.getRawPath(), to.getRawPath()), 201, 204);
        } catch (WebDavException e) {
            if (e.status() == 405 || e.status() == 501) {
                moveRefused = true;
                LOG.log(System.Logger.Level.WARNING, "webdav replica {0}: the server refused MOVE ({1}); files are now written in place, "
                        + "so a reader may see a file that is still being written on servers whose PUT is not atomic", location(), e.status());
            }
            throw e;
        }
    }

    /** Deletes the temporary names of earlier failed writes; one that still fails waits for the next write. */
    private void deleteFailedTemporaries() {
        List<URI> left = new ArrayList<>();
        for (URI u; (u = failedTemporaries.poll()) != null; ) {
            left.add(u);
        }
        for (URI u : left) {
            try {
                http.exchange(http.request("DELETE", u, null, settings.timeout()).build(), "delete " + u.getRawPath(), 200, 204, 404);
            } catch (IOException e) {
                failedTemporaries.add(u);
            }
        }
    }

    /**
     * Deletes a failed write's temporary name. Also when the write failed because the thread was
     * interrupted (a stop interrupting a compaction between its PUT and its MOVE): the DELETE runs
     * with the interrupt set aside and a short timeout, and the interrupt is restored after it.
     */
    private void deleteQuietly(URI uri, Exception cause) {
        boolean interrupted = Thread.interrupted();
        try {
            Duration timeout = settings.timeout().compareTo(CLEAN_UP_TIMEOUT) < 0 ? settings.timeout() : CLEAN_UP_TIMEOUT;
            http.exchange(http.request("DELETE", uri, null, timeout).build(), "delete " + uri.getRawPath(), 200, 204, 404);
        } catch (IOException e) {
            cause.addSuppressed(e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Creates {@code <folder>/ltx/<level>/} and any missing parent. One MKCOL on the level's folder
     * first (its parents usually exist); if the server says a parent is missing (409 on Apache,
     * 404 on rclone), one MKCOL per folder from the top, since a server creates one folder per
     * MKCOL. An existing folder answers 405, which is fine; a parent the user may not create but
     * that exists (the server's DAV root) is fine as long as the level's folder ends up created.
     */
    private void ensureFolder(int level) throws IOException {
        URI folder = levelFolder(level);
        if (knownFolders.contains(folder)) {
            return;
        }
        // One creator at a time: Apache answers 403, not 405, to a MKCOL racing another for the same folder.
        synchronized (knownFolders) {
            if (!knownFolders.contains(folder)) {
                createFolder(level, folder);
            }
        }
    }

    private void createFolder(int level, URI folder) throws IOException {
        if (!created(mkcol(folder, false))) {
            List<URI> chain = settings.foldersDownTo(levelSegments(level));
            for (URI parent : chain.subList(0, chain.size() - 1)) {
                mkcol(parent, false);
            }
            mkcol(folder, true);
        }
        knownFolders.add(folder);
    }

    private static boolean created(int status) {
        return status == 201 || status == 405;
    }

    /** MKCOL; returns the status, or with {@code mustExist} fails unless the folder now exists. */
    private int mkcol(URI folder, boolean mustExist) throws IOException {
        String what = "create folder " + folder.getRawPath();
        HttpResponse<InputStream> r = http.send(http.request("MKCOL", folder, null, settings.timeout()).build(), what);
        try (InputStream body = r.body()) {
            if (mustExist && !created(r.statusCode())) {
                throw http.failure(what, r.statusCode(), body);
            }
            body.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return r.statusCode();
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        URI uri = fileUri(level, range.fileName());
        http.exchange(http.request("DELETE", uri, null, settings.timeout()).build(), "delete " + uri.getRawPath(), 200, 204, 404);
    }

    /** One DELETE of {@code <folder>/ltx/} (recursive in WebDAV); nothing else the folder holds is touched. */
    @Override
    public void deleteAll() throws IOException {
        URI ltx = settings.resolve(List.of("ltx"), true);
        knownFolders.clear();
        http.exchange(http.request("DELETE", ltx, null, settings.timeout()).build(), "delete " + ltx.getRawPath(), 200, 204, 404);
    }

    @Override
    public void close() {
        http.close();
    }
}
