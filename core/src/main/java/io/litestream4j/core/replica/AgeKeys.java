package io.litestream4j.core.replica;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica's age keys, as Litestream 0.3 configured them ({@code age: {identities: [...],
 * recipients: [...]}}): X25519 identities ({@code AGE-SECRET-KEY-1...}) to decrypt, recipients
 * ({@code age1...}) to encrypt. Secrets: {@link #toString} never prints a key, and no message of
 * this class quotes one (it names the key's position or its file instead).
 */
public record AgeKeys(List<String> identities, List<String> recipients) {
    private static final String IDENTITY_PREFIX = "AGE-SECRET-KEY-1";
    private static final String RECIPIENT_PREFIX = "age1";

    public AgeKeys {
        identities = List.copyOf(identities);
        recipients = List.copyOf(recipients);
        if (identities.isEmpty() && recipients.isEmpty()) {
            throw new IllegalArgumentException("age: no identities and no recipients: give at least one of each");
        }
        for (int i = 0; i < identities.size(); i++) {
            if (!identities.get(i).startsWith(IDENTITY_PREFIX)) {
                throw new IllegalArgumentException("age: identity #%d is not an X25519 age identity (want one starting with %s)"
                        .formatted(i + 1, IDENTITY_PREFIX));
            }
        }
        for (int i = 0; i < recipients.size(); i++) {
            if (!recipients.get(i).startsWith(RECIPIENT_PREFIX)) {
                throw new IllegalArgumentException("age: recipient #%d (%s) is not an X25519 age recipient (want one starting with %s)"
                        .formatted(i + 1, recipients.get(i), RECIPIENT_PREFIX));
            }
        }
    }

    /**
     * The keys given inline plus those in {@code identitiesFile} and {@code recipientsFile} (either
     * may be null): one key a line, blank lines and {@code #} comments ignored, as {@code age -i}
     * and {@code age -R} read them.
     */
    public static AgeKeys of(List<String> identities, List<String> recipients, Path identitiesFile, Path recipientsFile) throws IOException {
        List<String> ids = new ArrayList<>(strip(identities));
        List<String> recs = new ArrayList<>(strip(recipients));
        if (identitiesFile != null) {
            ids.addAll(keyLines(identitiesFile, "identities-file"));
        }
        if (recipientsFile != null) {
            recs.addAll(keyLines(recipientsFile, "recipients-file"));
        }
        return new AgeKeys(ids, recs);
    }

    private static List<String> strip(List<String> keys) {
        return keys.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
    }

    private static List<String> keyLines(Path file, String key) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IOException("age: %s %s: cannot read: %s".formatted(key, file, e.getMessage()), e);
        }
        List<String> keys = lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (keys.isEmpty()) {
            throw new IOException("age: %s %s holds no key".formatted(key, file));
        }
        return keys;
    }

    /** True if files can be decrypted (restore, compaction, resuming all read the replica). */
    public boolean canRead() {
        return !identities.isEmpty();
    }

    /** True if files can be encrypted. */
    public boolean canWrite() {
        return !recipients.isEmpty();
    }

    @Override
    public String toString() {
        return "AgeKeys[%d identities (redacted), recipients %s]".formatted(identities.size(), recipients);
    }
}
