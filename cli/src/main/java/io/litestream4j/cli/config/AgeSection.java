package io.litestream4j.cli.config;

import io.litestream4j.core.replica.AgeKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A replica's {@code age} block, as Litestream 0.3.13 spelled it ({@code identities},
 * {@code recipients}) plus {@code identities-file} and {@code recipients-file} (one key a line, as
 * {@code age-keygen} writes them). Keys may come from the environment ({@code $VAR}, expanded with
 * the rest of the file). No message here quotes an identity.
 */
final class AgeSection {
    private AgeSection() {}

    static AgeKeys read(YamlSection age, List<String> warnings) {
        List<String> identities = list(age, "identities");
        List<String> recipients = list(age, "recipients");
        Path identitiesFile = age.string("identities-file").map(String::strip).filter(s -> !s.isEmpty()).map(Path::of).orElse(null);
        Path recipientsFile = age.string("recipients-file").map(String::strip).filter(s -> !s.isEmpty()).map(Path::of).orElse(null);
        age.finish(Map.of(), warnings);
        AgeKeys keys;
        try {
            keys = AgeKeys.of(identities, recipients, identitiesFile, recipientsFile);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(age.here() + "\"%s\": %s".formatted(age.path(), e.getMessage()));
        }
        // Recipients without identities is allowed, as Litestream 0.3 allowed it (an off-site key
        // kept away from the server): the replica is write-only, and the engine says so at every
        // start (Litestream #790 was finding that out at restore time).
        return keys;
    }

    private static List<String> list(YamlSection age, String key) {
        return age.stringOrList(key).map(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
    }
}
