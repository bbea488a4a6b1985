package io.litestream4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code -socket} and {@code -json}, shared by the commands that drive a running replicator. Mixed in with {@code @Mixin}. */
final class ControlOptions {
    @Option(names = {"-socket", "--socket"}, paramLabel = "PATH", description = "the control socket (default: /var/run/litestream.sock)")
    Path socket = io.litestream4j.cli.config.SocketSection.DEFAULT_PATH;

    @Option(names = {"-json", "--json"}, description = "print the answer as JSON")
    boolean json;

    /**
     * Sends the request and returns the answer's body; a non-200 answer is the error
     * {@code "<command> failed: <error>"}, as Litestream reports it. A little longer than
     * {@code timeout} is allowed for the answer, so that the replicator's own timeout error
     * (which names the replica behind) arrives rather than ours.
     */
    com.fasterxml.jackson.databind.JsonNode call(String command, String method, String path, Object body, int timeoutSeconds) throws IOException {
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("timeout must be greater than 0");
        }
        ControlClient.Answer a = ControlClient.send(socket, method, path, body, Duration.ofSeconds(timeoutSeconds).plusSeconds(5));
        if (a.status() != 200) {
            String error = a.body() != null && a.body().hasNonNull("error") ? a.body().get("error").asText() : a.text().strip();
            throw new ControlFailure("%s failed: %s".formatted(command, error));
        }
        if (a.body() == null) {
            throw new IOException("%s: the control socket's answer is not JSON: %s".formatted(command, a.text()));
        }
        return a.body();
    }

    /** A refusal by the replicator: printed as {@code Error: <message>}, exit 1. */
    static final class ControlFailure extends IOException {
        ControlFailure(String message) {
            super(message);
        }
    }
}
