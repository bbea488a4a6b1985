package io.litestream4j.cli.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code dbs} entry in directory mode: every SQLite database under {@code dir} whose file name
 * matches {@code pattern} is replicated with the entry's settings; its replica is the configured
 * one plus the database's path relative to {@code dir}, as Litestream does.
 *
 * @param dir the directory, absolute
 * @param pattern a glob for file names ({@code *.db})
 * @param recursive also look in subdirectories
 * @param watch pick up databases created later and drop removed ones while running
 * @param template the entry's settings, with {@code dir} as its path
 */
public record DirectoryConfig(Path dir, String pattern, boolean recursive, boolean watch, DatabaseConfig template) {
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /**
     * Compiled globs by pattern: {@link #covers} runs for every running database at each look
     * that compares, and for every database at start-up (10,000 compilations a look otherwise).
     */
    private static final java.util.Map<String, PathMatcher> MATCHERS = new java.util.concurrent.ConcurrentHashMap<>();

    private PathMatcher matcher() {
        return MATCHERS.computeIfAbsent(pattern, p -> FileSystems.getDefault().getPathMatcher("glob:" + p));
    }

    /** The databases there now: matching names whose first bytes are SQLite's header. */
    public List<DatabaseConfig> scan() throws IOException {
        List<DatabaseConfig> out = new ArrayList<>();
        for (Path p : candidates()) {
            if (isDatabase(p)) {
                out.add(database(p));
            }
        }
        return out;
    }

    /**
     * The paths whose names match, without opening them. {@link #isDatabase} tells which are
     * databases.
     */
    public List<Path> candidates() throws IOException {
        return listing().candidates();
    }

    /**
     * What a look at the directory found.
     *
     * @param candidates the paths whose names match, sorted
     * @param directories every directory the look listed ({@code dir}, and with {@code recursive}
     *     each subdirectory but hidden ones): a file created or removed in any of them changes
     *     that directory's modification time
     */
    public record Listing(List<Path> candidates, List<Path> directories) {}

    /** Lists {@code dir} (and its subdirectories but hidden ones, with {@code recursive}). */
    public Listing listing() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("%sdirectory %s does not exist".formatted(template.where(), dir));
        }
        PathMatcher matcher = matcher();
        if (!recursive) {
            return flatListing(matcher);
        }
        List<Path> directories = new ArrayList<>();
        List<Path> candidates = new ArrayList<>();
        Files.walkFileTree(dir, java.util.Set.of(), recursive ? Integer.MAX_VALUE : 1, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (!d.equals(dir) && d.getFileName().toString().startsWith(".")) {
                    return java.nio.file.FileVisitResult.SKIP_SUBTREE; // nothing under a hidden folder is a candidate
                }
                directories.add(d);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (matcher.matches(p.getFileName()) && !hidden(p)) {
                    candidates.add(p); // at the depth limit, subdirectories arrive here too, as Files.list gave them
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                if (p.equals(dir)) {
                    throw e;
                }
                return java.nio.file.FileVisitResult.CONTINUE; // gone since its folder was read, or unreadable: not a candidate
            }
        });
        candidates.sort(null);
        return new Listing(List.copyOf(candidates), List.copyOf(directories));
    }

    /**
     * {@code dir}'s matching names, read without a stat per entry: a walk stats every file to
     * learn its type, and the type is of no use here (a candidate is checked by
     * {@link #isDatabase} before it is opened). With 10,000 databases, 30,000 files with their
     * WALs and shared-memory files, those stats made each listing 40-100 ms of CPU, and under an
     * application that opens and closes its connections (a WAL created and deleted at each
     * commit, so the folder's time moves) the watch lists every second.
     */
    private Listing flatListing(PathMatcher matcher) throws IOException {
        List<Path> candidates = new ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                Path name = p.getFileName();
                if (!name.toString().startsWith(".") && matcher.matches(name)) {
                    candidates.add(p);
                }
            }
        }
        candidates.sort(null);
        return new Listing(List.copyOf(candidates), List.of(dir));
    }

    /** A regular file that starts with SQLite's header. */
    public static boolean isDatabase(Path p) {
        return Files.isRegularFile(p) && isSqlite(p);
    }

    /** True if {@code path} is a database this entry covers (whether or not it exists yet). */
    public boolean covers(Path path) {
        Path p = path.toAbsolutePath().normalize();
        if (!p.startsWith(dir) || p.equals(dir) || (!recursive && !p.getParent().equals(dir))) {
            return false;
        }
        return matcher().matches(p.getFileName());
    }

    /** The settings for the database at {@code path} under {@code dir}. */
    public DatabaseConfig database(Path path) {
        String relative = dir.relativize(path.toAbsolutePath().normalize()).toString().replace('\\', '/');
        return new DatabaseConfig(path.toAbsolutePath().normalize(), template.options(), template.restoreIfDbNotExists(),
                template.replicas().stream().map(r -> r.under(relative)).toList(), template.where());
    }

    /** Files inside a database's meta directory ({@code .<name>-litestream}) are never databases. */
    private boolean hidden(Path p) {
        for (Path part : dir.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSqlite(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            return Arrays.equals(in.readNBytes(SQLITE_HEADER.length), SQLITE_HEADER);
        } catch (IOException e) {
            return false;
        }
    }
}
