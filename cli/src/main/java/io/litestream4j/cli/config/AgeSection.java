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
        if (!keys.canRead()) {
            // Litestream #790: encryption that cannot be undone found out at restore time. We read
            // the replica to resume, compact and restore, so without identities nothing works.
            throw new ConfigException(age.here() + ("\"%s\": recipients without identities: the replica's files could be encrypted "
                    + "but never read back, and litestream4j reads them to resume, compact and restore; add identities "
                    + "(AGE-SECRET-KEY-1..., or identities-file) for these recipients").formatted(age.path()));
        }
        return keys;
    }

    private static List<String> list(YamlSection age, String key) {
        return age.stringOrList(key).map(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()).orElse(List.of());
    }
}
