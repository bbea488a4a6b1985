package io.litestream4j.replica.sftp;

import io.litestream4j.core.replica.LegacyLayout;
import io.litestream4j.core.replica.RangedReads;
import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.SizedInput;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.util.io.input.LimitInputStream;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.CopyMode;
import org.apache.sshd.sftp.client.SftpClient.DirEntry;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * A replica on an SFTP server, laid out as Litestream lays it: {@code <path>/ltx/<level>/<min>-<max>.ltx}.
 *
 * <p>Writes go to {@code <file>.<pid>.<nanos>.tmp} (Litestream's temporary name), are fsynced
 * where the server offers {@code fsync@openssh.com}, get their access and modification times set
 * to the file's timestamp (both together: SFTP v3 servers ignore one alone), and are renamed into
 * place. Plain SFTP v3 rename refuses to replace a file, so the rename is
 * {@code posix-rename@openssh.com} where offered (OpenSSH), an overwriting rename on SFTP v5+
 * (MINA), else delete-then-rename, which is the one case where a reader can briefly see no file.
 * A failed write deletes its temporary file; when it cannot (the server went away mid-upload),
 * the name is remembered and deleted after the next write that succeeds, so an outage leaves no
 * stray file on the server for as long as this process runs.
 *
 * <p>Modification times on SFTP v3 keep whole seconds, so {@link #listFiles} reports times
 * truncated to the second (as Litestream does), and {@link io.litestream4j.core.replica.ExactListings} reads each file's
 * LTX header, whose millisecond timestamp is the authority for point-in-time restores.
 *
 * <p>A request that fails because the server dropped the connection is sent once more on a new
 * connection, except a write, whose input cannot be read twice (the caller retries it).
 */
public final class SftpReplicaClient implements ReplicaClient, RangedReads, LegacyLayout {
    private static final int CHUNK = 32 << 10;
    private static final AtomicLong LAST_TMP_NANOS = new AtomicLong();

    private final SftpSettings settings;
    private final SftpConnection connection;
    /** Temporary files of failed writes that could not be deleted then (the connection was gone). */
    private final Set<String> strayTemporaries = ConcurrentHashMap.newKeySet();

    public SftpReplicaClient(SftpSettings settings) throws IOException {
        this.settings = settings;
        this.connection = new SftpConnection(settings);
    }

    @Override
    public String type() {
        return "sftp";
    }

    @Override
    public String location() {
        return settings.location();
    }

    String levelDir(int level) {
        return settings.resolve("ltx/" + level);
    }

    String filePath(int level, TxidRange range) {
        return levelDir(level) + "/" + range.fileName();
    }

    /** One request against the connection, repeated once on a new connection if the server dropped the old one. */
    private interface Request<T> {
        T run(SftpClient sftp) throws IOException;
    }

    private <T> T call(String what, Request<T> request) throws IOException {
        SftpClient sftp = connection.sftp(); // a failure to connect or log in names the replica and the cause
        try {
            return request.run(sftp);
        } catch (IOException e) {
            if (e instanceof SftpException || connection.isOpen()) {
                throw e; // the server answered, or the failure was not the connection's
            }
            try {
                return request.run(connection.sftp());
            } catch (IOException again) {
                again.addSuppressed(e);
                throw again instanceof SftpException || again instanceof NoSuchFileException || String.valueOf(again.getMessage()).startsWith("sftp replica")
                        ? again
                        : new IOException("sftp replica %s: %s: %s".formatted(location(), what, again.getMessage()), again);
            }
        }
    }

    private static boolean isMissing(SftpException e) {
        return e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE || e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH;
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        String dir = levelDir(level);
        return call("list " + dir, sftp -> {
            List<LtxFileInfo> out = new ArrayList<>();
            try {
                for (DirEntry e : readDir(sftp, dir)) {
                    Attributes a = e.getAttributes();
                    TxidRange.fromFileName(e.getFilename())
                            .filter(r -> Long.compareUnsigned(r.max(), fromTxid) >= 0)
                            .filter(r -> a.isRegularFile())
                            .ifPresent(r -> out.add(new LtxFileInfo(level, r, a.getSize(), modified(a))));
                }
            } catch (SftpException e) {
                if (isMissing(e)) {
                    return List.of();
                }
                throw new IOException("sftp replica %s: list %s: %s".formatted(location(), dir, e.getMessage()), e);
            }
            out.sort(LtxFileInfo.BY_TXIDS);
            return out;
        });
    }

    /** Every entry of a folder; a missing folder is an {@link SftpException} with status no-such-file. */
    private static List<DirEntry> readDir(SftpClient sftp, String dir) throws IOException {
        List<DirEntry> out = new ArrayList<>();
        try (CloseableHandle h = sftp.openDir(dir)) {
            for (List<DirEntry> batch; (batch = sftp.readDir(h)) != null; ) {
                out.addAll(batch);
            }
        }
        return out;
    }

    private static Instant modified(Attributes a) {
        FileTime t = a.getModifyTime();
        return t == null ? Instant.EPOCH : t.toInstant();
    }

    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        return open(level, range, 0, -1);
    }

    @Override
    public InputStream open(int level, TxidRange range, long offset, long length) throws IOException {
        String path = filePath(level, range);
        return call("open " + path, sftp -> {
            InputStream in;
            try {
                in = sftp.read(path, CHUNK); // several read requests in flight
            } catch (SftpException e) {
                if (isMissing(e)) {
                    throw new NoSuchFileException(path, null, "ltx file not found in replica " + location());
                }
                throw new IOException("sftp replica %s: open %s: %s".formatted(location(), path, e.getMessage()), e);
            }
            try {
                in.skipNBytes(offset);
            } catch (java.io.EOFException pastEnd) {
                // an offset past the end reads nothing
            } catch (IOException e) {
                in.close();
                throw e;
            }
            return length < 0 ? in : new LimitInputStream(in, length);
        });
    }

    /** One directory read: does {@code <path>/generations} hold anything? */
    @Override
    public boolean holdsLitestream03() throws IOException {
        String dir = settings.resolve("generations");
        return call("list " + dir, sftp -> {
            try {
                return readDir(sftp, dir).stream().anyMatch(e -> !e.getFilename().equals(".") && !e.getFilename().equals(".."));
            } catch (SftpException e) {
                if (isMissing(e)) {
                    return false;
                }
                throw new IOException("sftp replica %s: list %s: %s".formatted(location(), dir, e.getMessage()), e);
            }
        });
    }

    /** Walks {@code generations/} (three levels: generation, snapshots or wal, file); times are the files' mtimes, as 0.3 read them. */
    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        String top = settings.resolve("generations");
        return call("list " + top, sftp -> {
            List<LegacyFile> out = new ArrayList<>();
            try {
                walk(sftp, top, "generations", out);
            } catch (SftpException e) {
                if (!isMissing(e)) {
                    throw new IOException("sftp replica %s: list %s: %s".formatted(location(), top, e.getMessage()), e);
                }
            }
            return out;
        });
    }

    private static void walk(SftpClient sftp, String dir, String relative, List<LegacyFile> out) throws IOException {
        for (DirEntry e : readDir(sftp, dir)) {
            String name = e.getFilename();
            if (name.equals(".") || name.equals("..")) {
                continue;
            }
            Attributes a = e.getAttributes();
            if (a.isDirectory()) {
                walk(sftp, dir + "/" + name, relative + "/" + name, out);
            } else if (a.isRegularFile()) {
                out.add(new LegacyFile(relative + "/" + name, a.getSize(), modified(a)));
            }
        }
    }

    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        String file = settings.resolve(LegacyLayout.checkedPath(location(), path));
        return call("open " + file, sftp -> {
            try {
                return sftp.read(file, CHUNK);
            } catch (SftpException e) {
                if (isMissing(e)) {
                    throw new NoSuchFileException(file, null, "Litestream 0.3 file not found in replica " + location());
                }
                throw new IOException("sftp replica %s: open %s: %s".formatted(location(), file, e.getMessage()), e);
            }
        });
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String target = filePath(level, range);
        SizedInput body = new SizedInput(data, size, target);
        SftpClient sftp = connection.sftp();
        String tmp = "%s.%d.%d.tmp".formatted(target, ProcessHandle.current().pid(), uniqueNanos());
        CloseableHandle handle = openForWrite(sftp, levelDir(level), tmp);
        boolean done = false;
        try {
            try {
                upload(sftp, handle, body, tmp);
                OpenSSHFsyncExtension fsync = sftp.getExtension(OpenSSHFsyncExtension.class);
                if (fsync != null && fsync.isSupported()) {
                    fsync.fsync(handle);
                }
            } finally {
                handle.close();
            }
            FileTime t = FileTime.from(createdAt);
            sftp.setStat(tmp, new Attributes().accessTime(t).modifyTime(t));
            rename(sftp, tmp, target);
            done = true;
            removeStrayTemporaries();
        } catch (IOException e) {
            throw new IOException("sftp replica %s: write %s: %s".formatted(location(), target, e.getMessage()), e);
        } finally {
            if (!done) {
                removeQuietly(tmp);
            }
        }
        return new LtxFileInfo(level, range, size, createdAt);
    }

    /** Nanoseconds since the epoch, never the same twice in this process: two uploads never share a temporary name. */
    private static long uniqueNanos() {
        Instant now = Instant.now();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return LAST_TMP_NANOS.updateAndGet(last -> Math.max(last + 1, nanos));
    }

    /** Creates the temporary file, and the level's folders if they are missing (checked only then: one request less per upload). */
    private CloseableHandle openForWrite(SftpClient sftp, String dir, String tmp) throws IOException {
        var modes = EnumSet.of(OpenMode.Write, OpenMode.Create, OpenMode.Exclusive);
        try {
            return sftp.open(tmp, modes);
        } catch (SftpException e) {
            if (!isMissing(e)) {
                throw new IOException("sftp replica %s: create %s: %s".formatted(location(), tmp, e.getMessage()), e);
            }
        } catch (IOException e) {
            if (connection.isOpen()) {
                throw e;
            }
            return openForWrite(connection.sftp(), dir, tmp); // dropped before a byte was read: retry on a new connection
        }
        mkdirs(sftp, dir);
        return sftp.open(tmp, modes);
    }

    private void mkdirs(SftpClient sftp, String dir) throws IOException {
        StringBuilder prefix = new StringBuilder(dir.startsWith("/") ? "/" : "");
        for (String part : dir.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            prefix.append(part);
            String p = prefix.toString();
            try {
                sftp.mkdir(p);
            } catch (SftpException e) {
                // SFTP v3 reports an existing folder as a generic failure: look before giving up.
                Attributes a;
                try {
                    a = sftp.stat(p);
                } catch (SftpException notThere) {
                    throw new IOException("sftp replica %s: cannot create folder %s: %s".formatted(location(), p, e.getMessage()), e);
                }
                if (!a.isDirectory()) {
                    throw new IOException("sftp replica %s: %s exists and is not a folder".formatted(location(), p), e);
                }
            }
            prefix.append('/');
        }
    }

    private void upload(SftpClient sftp, CloseableHandle handle, SizedInput body, String tmp) throws IOException {
        if (settings.concurrentWrites()) {
            // Several write requests in flight; close waits for every acknowledgement, leaves the handle open for fsync.
            try (SftpOutputStreamAsync out = new SftpOutputStreamAsync((AbstractSftpClient) sftp, CHUNK, tmp, handle, false)) {
                body.transferTo(out);
                body.requireEnd();
            }
            return;
        }
        byte[] buf = new byte[CHUNK];
        long offset = 0;
        for (int n; (n = body.readNBytes(buf, 0, buf.length)) > 0; offset += n) {
            sftp.write(handle, offset, buf, 0, n);
        }
        body.requireEnd();
    }

    private void rename(SftpClient sftp, String from, String to) throws IOException {
        OpenSSHPosixRenameExtension posix = sftp.getExtension(OpenSSHPosixRenameExtension.class);
        if (posix != null && posix.isSupported()) {
            posix.posixRename(from, to);
        } else if (sftp.getVersion() >= SftpConstants.SFTP_V5) {
            sftp.rename(from, to, CopyMode.Overwrite, CopyMode.Atomic);
        } else {
            try {
                sftp.rename(from, to);
            } catch (SftpException e) {
                // SFTP v3 without posix-rename cannot replace a file: delete the old one first.
                try {
                    sftp.remove(to);
                } catch (SftpException missing) {
                    throw e;
                }
                sftp.rename(from, to);
            }
        }
    }

    /** Deletes a failed write's temporary file, or remembers it for {@link #removeStrayTemporaries} when the server cannot be reached. */
    private void removeQuietly(String path) {
        if (!remove(path)) {
            strayTemporaries.add(path);
        }
    }

    /** Deletes the temporary files failed writes left: called once a write has succeeded, so the server answers again. */
    private void removeStrayTemporaries() {
        strayTemporaries.removeIf(this::remove);
    }

    /** Deletes {@code path}: false if the server could not be reached (worth trying again), true when there is nothing more to do. */
    private boolean remove(String path) {
        try {
            connection.sftp().remove(path);
            return true;
        } catch (SftpException e) {
            return isMissing(e) || e.getStatus() != SftpConstants.SSH_FX_CONNECTION_LOST && e.getStatus() != SftpConstants.SSH_FX_NO_CONNECTION;
        } catch (IOException gone) {
            return false;
        }
    }

    @Override
    public void delete(int level, TxidRange range) throws IOException {
        String path = filePath(level, range);
        call("delete " + path, sftp -> {
            try {
                sftp.remove(path);
            } catch (SftpException e) {
                if (!isMissing(e)) {
                    throw new IOException("sftp replica %s: delete %s: %s".formatted(location(), path, e.getMessage()), e);
                }
            }
            return null;
        });
    }

    /** Deletes the replica's {@code ltx} tree, files first, then the emptied folders (the replica's folder itself stays). */
    @Override
    public void deleteAll() throws IOException {
        String root = settings.resolve("ltx");
        call("delete " + root, sftp -> {
            removeTree(sftp, root);
            return null;
        });
    }

    private void removeTree(SftpClient sftp, String dir) throws IOException {
        List<DirEntry> entries;
        try {
            entries = readDir(sftp, dir);
        } catch (SftpException e) {
            if (isMissing(e)) {
                return;
            }
            throw new IOException("sftp replica %s: list %s: %s".formatted(location(), dir, e.getMessage()), e);
        }
        for (DirEntry e : entries) {
            if (e.getFilename().equals(".") || e.getFilename().equals("..")) {
                continue;
            }
            String child = dir + "/" + e.getFilename();
            if (e.getAttributes().isDirectory()) {
                removeTree(sftp, child);
            } else {
                try {
                    sftp.remove(child);
                } catch (SftpException gone) {
                    if (!isMissing(gone)) {
                        throw new IOException("sftp replica %s: delete %s: %s".formatted(location(), child, gone.getMessage()), gone);
                    }
                }
            }
        }
        try {
            sftp.rmdir(dir);
        } catch (SftpException e) {
            if (!isMissing(e)) {
                throw new IOException("sftp replica %s: delete folder %s: %s".formatted(location(), dir, e.getMessage()), e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
