package io.litestream4j.ltx;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The golden files in {@code ../shared/fixtures}. Missing fixtures fail the test under CI
 * ({@code CI=true}), where they must be present, and skip it elsewhere with a message.
 */
final class Fixtures {
    private Fixtures() {}

    static Path dir() {
        String configured = System.getProperty("fixtures.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "fixtures");
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve("ltx"))) {
            String message = "golden fixtures not found at " + dir + " (expected ../shared/fixtures beside the checkout)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message + "; skipping outside CI");
        }
        return dir;
    }

    static Path ltx(String encoding, String name) {
        return dir().resolve("ltx").resolve(encoding).resolve(name);
    }
}
