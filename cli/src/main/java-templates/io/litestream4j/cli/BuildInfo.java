package io.litestream4j.cli;

/**
 * Facts about this build, filled in by Maven (templating-maven-plugin, cli/pom.xml) when the
 * sources are generated. A constant rather than a resource: looking a resource up goes through
 * the class loader and opens the application jar and its Class-Path, which cost `version` as
 * much CPU as the rest of its own work (docs/benchmarks.md, start-up of the release).
 */
final class BuildInfo {
    private BuildInfo() {}

    /** The Maven project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    static final String VERSION = "${project.version}";
}
