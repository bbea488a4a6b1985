package io.litestream4j.cli;

import io.litestream4j.cli.config.Config;
import io.litestream4j.cli.config.ConfigLoader;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code -config} and {@code -no-expand-env}, for the commands that read the config file. Mixed in with {@code @Mixin}. */
final class ConfigOptions {
    @Option(names = {"-config", "--config"}, paramLabel = "PATH", description = "the config file (default $LITESTREAM_CONFIG, else /etc/litestream.yml)")
    Path config;

    @Option(names = {"-no-expand-env", "--no-expand-env"}, description = "do not expand $VAR and $${VAR} in the config file")
    boolean noExpandEnv;

    /** The config file these options name. */
    Path path() {
        return ConfigLoader.resolvePath(config, System.getenv());
    }

    /** Loads the config file; its warnings are logged by {@link CommonOptions#configureLogging(picocli.CommandLine, Config)}. */
    Config load() throws IOException {
        return ConfigLoader.load(path(), !noExpandEnv);
    }
}
