import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Rewrites a jar's Java 1.4/5 class files (major version below 50) as Java 8 class files (52)
 * with the stack maps the JVM's type-checking verifier needs, in place
 * ({@code java RetargetClasses.java JAR}, run by build-release.sh for picocli).
 *
 * <p>Why: JDK 25's AOT cache leaves out every class older than version 50 (they are verified
 * by the old type-inferencing verifier when loaded, after the cache is made: JDK-8349009; JDK 26
 * lifts this with JDK-8317269). picocli is compiled for Java 5, so every start of the command
 * loaded its 170 classes from the jar, verified them the slow way, and made its annotation
 * proxies and lambdas anew: most of a short command's own work (docs/benchmarks.md, start-up of
 * the release). The bytecode is not changed, only the version and the added StackMapTable
 * attributes, which the JDK's class-file library computes from the code.
 *
 * <p>Guarantees: every rewritten class passes the class-file library's port of the JVM's
 * verifier before the jar is replaced; any failure (a class using jsr/ret, which Java 8 class
 * files cannot hold, or a stack map that cannot be computed) leaves the jar untouched and exits
 * non-zero with the class named. Entries keep their order, names and times; only class files
 * below version 50 change (a multi-release jar's versioned entries are newer and stay as they
 * are). A signed jar is refused: its signature would no longer match.
 */
public final class RetargetClasses {
    /** Java 8: the type-checking verifier only, with no fall-back to the old one (version 50 has it). */
    private static final int TARGET_MAJOR = ClassFile.JAVA_8_VERSION;
    private static final int FIRST_WITH_STACK_MAPS = ClassFile.JAVA_6_VERSION;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java RetargetClasses.java JAR");
            System.exit(2);
        }
        try {
            Path jar = Path.of(args[0]);
            int rewritten = retarget(jar);
            System.err.println("RetargetClasses: " + jar.getFileName() + ": " + rewritten
                    + " class files rewritten as version " + TARGET_MAJOR);
        } catch (Failure e) {
            System.err.println("RetargetClasses: " + e.getMessage());
            System.exit(1);
        }
    }

    private static int retarget(Path jar) throws IOException, Failure {
        Path out = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        int rewritten = 0;
        try (JarFile in = new JarFile(jar.toFile(), false);
                URLClassLoader classes = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
                OutputStream file = Files.newOutputStream(out);
                JarOutputStream target = new JarOutputStream(file)) {
            // The super classes and interfaces of the jar's own classes come from the jar, the
            // rest from the running JDK; a type found in neither stops the rewrite.
            ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(classes))));
            List<JarEntry> entries = Collections.list(in.entries());
            for (JarEntry entry : entries) {
                String name = entry.getName();
                if (name.startsWith("META-INF/") && (name.endsWith(".SF") || name.endsWith(".RSA")
                        || name.endsWith(".DSA") || name.endsWith(".EC"))) {
                    throw new Failure(jar + ": signed (" + name + "): rewriting its classes would break the signature");
                }
                byte[] bytes;
                try (InputStream data = in.getInputStream(entry)) {
                    bytes = data.readAllBytes();
                }
                if (name.endsWith(".class") && !name.startsWith("META-INF/") && major(bytes) < FIRST_WITH_STACK_MAPS) {
                    bytes = rewrite(classFile, name, bytes);
                    rewritten++;
                }
                JarEntry copy = new JarEntry(name);
                copy.setTime(entry.getTime());
                target.putNextEntry(copy);
                target.write(bytes);
                target.closeEntry();
            }
        } catch (IOException | Failure | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
        Files.setPosixFilePermissions(out, Files.getPosixFilePermissions(jar));
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING);
        return rewritten;
    }

    /** The class at {@code name} as version 52 with stack maps, checked by the verifier. */
    private static byte[] rewrite(ClassFile classFile, String name, byte[] bytes) throws Failure {
        byte[] rewritten;
        try {
            ClassModel model = classFile.parse(bytes);
            // Rebuilding every method body makes the library compute its stack maps; the version
            // element comes first in a class, so the code is built for the new version.
            ClassTransform version = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(TARGET_MAJOR, 0);
                } else {
                    builder.with(element);
                }
            };
            rewritten = classFile.transformClass(model,
                    version.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)));
        } catch (RuntimeException e) {
            throw new Failure(name + ": cannot rewrite as version " + TARGET_MAJOR + ": " + e.getMessage());
        }
        ClassModel check = classFile.parse(rewritten);
        if (check.majorVersion() != TARGET_MAJOR) {
            throw new Failure(name + ": want version " + TARGET_MAJOR + " after the rewrite, got " + check.majorVersion());
        }
        List<VerifyError> errors = new ArrayList<>(classFile.verify(check));
        if (!errors.isEmpty()) {
            throw new Failure(name + ": the rewritten class fails verification: " + errors.getFirst().getMessage()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""));
        }
        return rewritten;
    }

    /** The class file's major version (bytes 6-7, after the magic and the minor version). */
    private static int major(byte[] bytes) throws Failure {
        if (bytes.length < 8 || (bytes[0] & 0xff) != 0xCA || (bytes[1] & 0xff) != 0xFE) {
            throw new Failure("not a class file: want magic CAFEBABE");
        }
        return (bytes[6] & 0xff) << 8 | (bytes[7] & 0xff);
    }

    private static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }
}
