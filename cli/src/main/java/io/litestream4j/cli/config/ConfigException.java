package io.litestream4j.cli.config;

/** A config file we cannot honour: the message names the file, the line and the key. */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ConfigException(String message) {
        super(message);
    }
}
