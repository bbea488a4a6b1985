package io.litestream4j.cli;

import io.litestream4j.cli.config.Config;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** The log level, a flag every long-running command shares (help is on every command: {@link Main}). Mixed in with {@code @Mixin}. */
final class CommonOptions {
    private static final String LOG_LEVEL_DESCRIPTION = "debug, info, warn or error (default: the config's logging.level, else info; LOG_LEVEL overrides)";

    @Option(names = {"-log-level", "--log-level"}, paramLabel = "LEVEL", description = LOG_LEVEL_DESCRIPTION)
    String logLevel;

    /** Adds this option to a command whose model is written in code (the same as {@code @Mixin} gives). */
    static void addTo(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-log-level", "--log-level").paramLabel("LEVEL").type(String.class).description(LOG_LEVEL_DESCRIPTION).build());
    }

    /** The value parsed for the option {@link #addTo} added. */
    static CommonOptions of(CommandSpec spec) {
        CommonOptions options = new CommonOptions();
        options.logLevel = spec.findOption("-log-level").getValue();
        return options;
    }

    /** Sends logs to {@code err} at the chosen level; {@code LOG_LEVEL} wins, as in Litestream. */
    void configureLogging(PrintWriter err) {
        Logging.configure(Logging.parseLevel(System.getenv().getOrDefault("LOG_LEVEL", logLevel != null ? logLevel : "info")), err);
    }

    /**
     * Logging for a command that read {@code config} (null if none): {@code LOG_LEVEL}, else
     * {@code -log-level}, else {@code logging.level}, else info; to stdout if the config says
     * {@code stderr: false}; as JSON lines with {@code type: json}. Then the config's warnings are logged.
     */
    void configureLogging(CommandLine cmd, Config config) {
        String level = logLevel != null ? logLevel : config != null && config.logLevel() != null ? config.logLevel() : "info";
        PrintWriter to = config != null && config.logToStdout() ? cmd.getOut() : cmd.getErr();
        Logging.configure(Logging.parseLevel(System.getenv().getOrDefault("LOG_LEVEL", level)), to, config != null && config.logJson());
        if (config != null) {
            System.Logger log = io.litestream4j.core.log.Loggers.get("litestream");
            config.warnings().forEach(w -> log.log(System.Logger.Level.WARNING, w));
        }
    }
}
