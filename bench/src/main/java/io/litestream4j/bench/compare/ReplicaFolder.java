package io.litestream4j.bench.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A replica folder seen from outside: whichever tool wrote it, its files are what count. */
final class ReplicaFolder {
    private ReplicaFolder() {}

    /** Every finished file under the folder (relative paths), skipping files still being written. */
    static Set<String> files(Path replica) throws IOException {
        return walk(replica).stream().filter(ReplicaFolder::isFinishedFile).map(p -> replica.relativize(p).toString())
                .collect(Collectors.toSet());
    }

    private static boolean isFinishedFile(Path p) {
        String name = p.getFileName().toString();
        return Files.isRegularFile(p) && !name.endsWith(".tmp") && !name.startsWith(".");
    }

    /**
     * Copies the folder as a disaster at this moment would leave it. Files that vanish while it
     * copies (temporary files renamed, compaction, retention) are skipped, as they would be gone.
     */
    static void copy(Path from, Path to) throws IOException {
        for (Path p : walk(from)) {
            Path target = to.resolve(from.relativize(p).toString());
            try {
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            } catch (NoSuchFileException gone) {
                // removed between the walk and the copy
            }
        }
    }

    /** Every path under {@code dir}, parents first, tolerating files that disappear meanwhile. */
    private static List<Path> walk(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return all;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                all.add(d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                all.add(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return all;
    }

    static long sizeBytes(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
