package io.litestream4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** Flags every long-running command shares: the log level and help. Mixed in with {@code @Mixin}. */
final class CommonOptions {
    @Option(names = {"-log-level", "--log-level"}, paramLabel = "LEVEL", description = "debug, info, warn or error (default info; LOG_LEVEL overrides)")
    String logLevel = "info";

    @Option(names = {"-h", "-help", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    /** Sends logs to {@code err} at the chosen level; {@code LOG_LEVEL} wins, as in Litestream. */
    void configureLogging(PrintWriter err) {
        Logging.configure(Logging.parseLevel(System.getenv().getOrDefault("LOG_LEVEL", logLevel)), err);
    }
}
