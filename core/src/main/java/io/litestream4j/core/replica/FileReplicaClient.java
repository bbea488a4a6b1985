package io.litestream4j.core.replica;

import io.litestream4j.core.AtomicFiles;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A replica in a local folder (or any mounted file system), laid out as Litestream lays it:
 * {@code <root>/ltx/<level>/<min>-<max>.ltx}. Writes go to a temporary name, are fsynced, renamed
 * into place and the directory fsynced; the file's modification time is set to its creation time.
 * The replica's lease is {@code <root>/lock.json} ({@link FileLeaseStore}).
 */
public final class FileReplicaClient implements ReplicaClient, RangedReads, BatchDelete, LocalFiles, LegacyLayout, ExactTimestamps {
    private final Path root;
    /**
     * The root as a folder's URL, with its trailing slash whether or not the folder exists yet:
     * built once, as {@link Path#toUri} stats the path (at every maintenance round of every
     * replica, that stat was a sixth of 10,000 idle databases' CPU), and so a replica's name in
     * logs and metric labels does not change when its folder is created.
     */
    private final String location;
    private final FileLeaseStore lease;

    public FileReplicaClient(Path root) {
        this.root = root.toAbsolutePath().normalize();
        String url = this.root.toUri().toString();
        this.location = url.endsWith("/") ? url : url + "/";
        this.lease = new FileLeaseStore(this.root);
    }

    public Path root() {
        return root;
    }

    @Override
    public String type() {
        return "file";
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public boolean holdsLitestream03() {
        return Files.isDirectory(root.resolve("generations"));
    }

    /** The lease store is a helper object ({@link FileLeaseStore}), handed out as a capability. */
    @Override
    public <T> java.util.Optional<T> capability(Class<T> type) {
        return type == LeaseStore.class ? java.util.Optional.of(type.cast(lease)) : ReplicaClient.super.capability(type);
    }

    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        Path generations = root.resolve("generations");
        if (!Files.isDirectory(generations)) {
            return List.of();
        }
        List<LegacyFile> out = new ArrayList<>();
        try (var walk = Files.walk(generations)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
                out.add(new LegacyFile(root.relativize(p).toString().replace('\\', '/'), a.size(), a.lastModifiedTime().toInstant()));
            }
        }
        return out;
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        Path p = root.resolve(path).normalize();
        if (!p.startsWith(root.resolve("generations"))) {
            throw new IOException("%s: %s is not under generations/".formatted(location(), path));
        }
        return Files.newInputStream(p);
    }

    Path levelDir(int level) {
        return root.resolve("ltx").resolve(Integer.toString(level));
    }

    Path path(int level, TxidRange range) {
        return levelDir(level).resolve(range.fileName());
    }

    @Override
    public Path localPath(int level, TxidRange range) {
        return path(level, range);
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        Path dir = levelDir(level);
        if (Files.notExists(dir)) {
            // A stat, no exception: a start lists every level, and a young replica has only level 0
            // or none (nine or ten NoSuchFileExceptions with their stack traces at every start).
            // notExists, not !isDirectory: a folder we may not read must still fail the listing.
            return List.of();
        }
        List<LtxFileInfo> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.ltx")) {
            for (Path p : entries) {
                var range = TxidRange.fromFileName(p.getFileName().toString()).filter(r -> Long.compareUnsigned(r.max(), fromTxid) >= 0);
                if (range.isPresent()) {
                    LtxFileInfo info = info(level, range.get(), p);
                    if (info != null) {
                        out.add(info);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort(LtxFileInfo.BY_TXIDS);
        return out;
    }

    /** Every file's modification time is set to its creation time when written: the listing is exact. */
    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        return listFiles(level, fromTxid);
    }

    /** The file's listing entry, or null if it was deleted (retention, compaction) since the directory was read. */
    private static LtxFileInfo info(int level, TxidRange range, Path p) {
        try {
            var attrs = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            return new LtxFileInfo(level, range, attrs.size(), attrs.lastModifiedTime().toInstant());
        } catch (NoSuchFileException gone) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return open(level, range, 0, -1);
    }

    @Override
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        Path p = path(level, range);
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(p.toString(), null, "ltx file not found in replica " + location());
        }
        ch.position(offset);
        InputStream in = Channels.newInputStream(ch);
        return BoundedInput.of(in, length);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        Path target = path(level, range);
        Files.createDirectories(target.getParent());
        AtomicFiles.write(target, new SizedInput(data, size, target.toString())::transferTo);
        Files.setLastModifiedTime(target, FileTime.from(createdAt));
        return new LtxFileInfo(level, range, size, createdAt);
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        delete(level, List.of(range));
    }

    /** All the files first, then one fsync of the level's folder. */
    @Override
    public void delete(int level, List<TxidRange> ranges) throws IOException {
        for (TxidRange r : ranges) {
            Files.deleteIfExists(path(level, r));
        }
        if (!ranges.isEmpty() && Files.isDirectory(levelDir(level))) {
            AtomicFiles.syncDirectory(levelDir(level));
        }
    }

    @Override
    public void deleteAll() throws IOException {
        Path ltx = root.resolve("ltx");
        if (!Files.exists(ltx)) {
            return;
        }
        try (var walk = Files.walk(ltx)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
