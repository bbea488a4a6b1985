package io.litestream4j.cli;

import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** {@code -config} and {@code -no-expand-env}, for the commands that read the config file. Mixed in with {@code @Mixin}. */
final class ConfigOptions {
    private static final String CONFIG_DESCRIPTION = "the config file (default $LITESTREAM_CONFIG, else /etc/litestream.yml)";
    private static final String NO_EXPAND_ENV_DESCRIPTION = "do not expand $VAR and $${VAR} in the config file";

    @Option(names = {"-config", "--config"}, paramLabel = "PATH", description = CONFIG_DESCRIPTION)
    Path config;

    @Option(names = {"-no-expand-env", "--no-expand-env"}, description = NO_EXPAND_ENV_DESCRIPTION)
    boolean noExpandEnv;

    /** Adds these options to a command whose model is written in code (the same as {@code @Mixin} gives). */
    static void addTo(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("-config", "--config").paramLabel("PATH").type(Path.class).description(CONFIG_DESCRIPTION).build());
        spec.addOption(OptionSpec.builder("-no-expand-env", "--no-expand-env").type(boolean.class).initialValue(false)
                .description(NO_EXPAND_ENV_DESCRIPTION).build());
    }

    /** The values parsed for the options {@link #addTo} added. */
    static ConfigOptions of(CommandSpec spec) {
        ConfigOptions options = new ConfigOptions();
        options.config = spec.findOption("-config").getValue();
        options.noExpandEnv = spec.findOption("-no-expand-env").getValue();
        return options;
    }

    /** The config file these options name. */
    Path path() {
        return ConfigLoader.resolvePath(config, System.getenv());
    }

    /** Loads the config file; its warnings are logged by {@link CommonOptions#configureLogging(picocli.CommandLine, Config)}. */
    Config load() throws IOException {
        return ConfigLoader.load(path(), !noExpandEnv);
    }
}
