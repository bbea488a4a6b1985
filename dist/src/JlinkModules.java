import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Prints the JDK modules that a set of jars uses, comma-separated, for jlink's --add-modules
 * (run by build-release.sh as a single-file program: {@code java JlinkModules.java REPORT JAR...}).
 *
 * <p>Why not simply {@code jdeps --print-module-deps} over all the jars: it fails on our
 * dependencies in two ways. Modular jars given as roots are resolved as modules, so a missing or
 * split {@code requires} is an error ("Module reactor.core not found, required by
 * com.azure.core"); and two jars holding the same multi-release class (bcprov-jdk18on and
 * bcprov-lts8on) are refused in one run ("already associated with version 17, trying to add
 * version 21"). So every jar is analysed as a plain class-path jar (its module-info.class removed
 * from a copy), with the running JDK's feature version for multi-release classes, in as few
 * jdeps runs as keep such duplicates apart, and the results are joined. Every jar is a root, so
 * code reached only through ServiceLoader (the backends, HTTP clients, logging bindings) counts
 * too. Any jdeps error stops the program with jdeps' own message and a non-zero exit.
 *
 * <p>REPORT receives one line per jdeps run: the modules, and the jars they were found in.
 */
public final class JlinkModules {
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java JlinkModules.java REPORT JAR...");
            System.exit(2);
        }
        try {
            System.out.println(modules(Path.of(args[0]), List.of(args).subList(1, args.length)));
        } catch (Failure e) {
            System.err.println("JlinkModules: " + e.getMessage());
            System.exit(1);
        }
    }

    private static String modules(Path reportFile, List<String> jars) throws IOException, Failure {
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        String release = Integer.toString(Runtime.version().feature());
        Path scratch = Files.createTempDirectory("jlink-modules");
        TreeSet<String> all = new TreeSet<>();
        List<String> report = new ArrayList<>();
        try {
            List<List<Path>> groups = new ArrayList<>();
            List<Set<String>> groupClasses = new ArrayList<>();
            for (String name : jars) {
                Path jar = Path.of(name);
                if (!Files.isRegularFile(jar)) {
                    throw new Failure("jar " + jar + ": not a file");
                }
                Path plain = withoutModuleInfo(jar, scratch);
                Set<String> versioned = versionedClasses(plain);
                int g = 0;
                while (g < groups.size() && !Collections.disjoint(groupClasses.get(g), versioned)) {
                    g++;
                }
                if (g == groups.size()) {
                    groups.add(new ArrayList<>());
                    groupClasses.add(new HashSet<>());
                }
                groups.get(g).add(plain);
                groupClasses.get(g).addAll(versioned);
            }
            for (List<Path> group : groups) {
                String modules = jdeps(jdeps, release, group, scratch);
                all.addAll(List.of(modules.split(",")));
                report.add(modules + " <- " + group.stream().map(p -> p.getFileName().toString()).toList());
            }
        } finally {
            try (Stream<Path> left = Files.list(scratch)) {
                for (Path p : left.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(scratch);
        }
        Files.write(reportFile, report);
        return String.join(",", all);
    }

    /** One jdeps process over the group's jars, all of them roots on the class path. */
    private static String jdeps(Path jdeps, String release, List<Path> group, Path scratch)
            throws IOException, Failure {
        List<String> command = new ArrayList<>(List.of(jdeps.toString(), "--multi-release", release,
                "--ignore-missing-deps", "--print-module-deps", "--class-path",
                String.join(File.pathSeparator, group.stream().map(Path::toString).toList())));
        group.forEach(p -> command.add(p.toString()));
        Path out = scratch.resolve("jdeps.out");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        int rc;
        try {
            rc = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while jdeps ran");
        }
        List<String> lines = Files.readAllLines(out);
        Files.delete(out);
        String modules = lines.isEmpty() ? "" : lines.getLast().strip();
        if (rc != 0 || !modules.matches("java\\.base(,[a-z][a-z0-9.]*)*")) {
            throw new Failure("jdeps exited " + rc + ": want a module list starting with java.base as its last line, got: "
                    + String.join("\n", lines) + "\n(jars: " + group + ")");
        }
        return modules;
    }

    /** The class names the jar holds under META-INF/versions/N/ (without that prefix). */
    private static Set<String> versionedClasses(Path jar) throws IOException {
        Set<String> names = new HashSet<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            file.stream().map(JarEntry::getName)
                    .filter(n -> n.startsWith("META-INF/versions/") && n.endsWith(".class"))
                    .map(n -> n.substring(n.indexOf('/', "META-INF/versions/".length()) + 1))
                    .forEach(names::add);
        }
        return names;
    }

    /** The jar itself, or if it is modular a copy without module-info.class (also in META-INF/versions/N/). */
    private static Path withoutModuleInfo(Path jar, Path scratch) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.stream().noneMatch(e -> e.getName().endsWith("module-info.class"))) {
                return jar;
            }
        }
        Path copy = scratch.resolve(jar.getFileName());
        Files.copy(jar, copy);
        URI uri = URI.create("jar:" + copy.toUri());
        try (var zip = FileSystems.newFileSystem(uri, Map.of())) {
            Files.deleteIfExists(zip.getPath("module-info.class"));
            Path versions = zip.getPath("META-INF", "versions");
            if (Files.isDirectory(versions)) {
                try (Stream<Path> dirs = Files.list(versions)) {
                    for (Path dir : dirs.toList()) {
                        Files.deleteIfExists(dir.resolve("module-info.class"));
                    }
                }
            }
        }
        return copy;
    }

    private static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }
}
