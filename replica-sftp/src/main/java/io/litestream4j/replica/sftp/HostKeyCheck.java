package io.litestream4j.replica.sftp;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/**
 * Decides whether the server is the one the user meant: its host key must be the configured
 * {@code host-key}, else one that {@code known_hosts} lists for the host and port. No key to
 * compare with is a refusal, not a pass (Litestream connects to any server when {@code host-key}
 * is unset; we do not). Only {@code insecure-skip-host-key-check} accepts any key, with a warning.
 *
 * <p>A refusal is remembered ({@link #refusal()}) so that the failed connection's error names the
 * host, the key it offered and its SHA-256 fingerprint, and says how to trust it.
 */
final class HostKeyCheck implements ServerKeyVerifier {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(HostKeyCheck.class);

    private final SftpSettings settings;
    private final List<PublicKey> trusted;
    private final String trustSource;
    private volatile String refusal;

    private HostKeyCheck(SftpSettings settings, List<PublicKey> trusted, String trustSource) {
        this.settings = settings;
        this.trusted = List.copyOf(trusted);
        this.trustSource = trustSource;
    }

    /** The check for {@code settings}: a {@code host-key} that does not parse, or an unreadable known_hosts, is an error. */
    static HostKeyCheck of(SftpSettings settings) throws IOException {
        if (settings.skipHostKeyCheck()) {
            return new HostKeyCheck(settings, List.of(), SftpSettings.SKIP_HOST_KEY_CHECK);
        }
        if (settings.hostKey() != null) {
            List<PublicKey> keys = new ArrayList<>();
            for (String line : settings.hostKey().split("\\R")) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    keys.add(parse(line.strip(), "host-key"));
                }
            }
            if (keys.isEmpty()) {
                throw new IOException("sftp replica %s: host-key holds no key: want a line such as \"ssh-ed25519 AAAA...\"".formatted(settings.location()));
            }
            return new HostKeyCheck(settings, keys, "host-key");
        }
        Path file = settings.knownHosts();
        List<PublicKey> keys = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            for (KnownHostEntry entry : KnownHostEntry.readKnownHostEntries(file)) {
                // A revoked key (@revoked) is never trusted; a @cert-authority line is not a host key.
                if (entry.getMarker() == null && entry.getKeyEntry() != null && entry.isHostMatch(settings.host(), settings.port())) {
                    try {
                        keys.add(entry.getKeyEntry().resolvePublicKey(null, java.util.Map.of(), PublicKeyEntryResolver.IGNORING));
                    } catch (GeneralSecurityException e) {
                        throw new IOException("sftp replica %s: known_hosts file %s: cannot read the key for %s: %s".formatted(settings.location(), file,
                                settings.hostAndPort(), e.getMessage()), e);
                    }
                }
            }
        }
        keys.removeIf(java.util.Objects::isNull);
        return new HostKeyCheck(settings, keys, "known_hosts file " + file);
    }

    private static PublicKey parse(String line, String key) throws IOException {
        try {
            PublicKey k = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line).resolvePublicKey(null, java.util.Map.of(), PublicKeyEntryResolver.FAILING);
            if (k == null) {
                throw new IOException("unknown key type");
            }
            return k;
        } catch (IllegalArgumentException | GeneralSecurityException | IOException e) {
            throw new IOException("%s \"%s\": want a public key in authorized_keys format (\"ssh-ed25519 AAAA...\"): %s".formatted(key,
                    line.length() > 40 ? line.substring(0, 40) + "..." : line, e.getMessage()), e);
        }
    }

    /** The key types the server should present first: those we can verify (OpenSSH orders its proposal the same way). */
    Set<String> preferredKeyTypes() {
        Set<String> types = new LinkedHashSet<>();
        for (PublicKey k : trusted) {
            types.addAll(KeyUtils.getAllEquivalentKeyTypes(KeyUtils.getKeyType(k)));
        }
        return types;
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey offered) {
        if (settings.skipHostKeyCheck()) {
            LOG.log(System.Logger.Level.WARNING, "sftp replica %s: host key NOT verified (%s): accepted %s".formatted(settings.location(), SftpSettings.SKIP_HOST_KEY_CHECK,
                    describe(offered)));
            return true;
        }
        for (PublicKey k : trusted) {
            if (KeyUtils.compareKeys(k, offered)) {
                refusal = null;
                return true;
            }
        }
        String offeredLine = PublicKeyEntry.toString(offered);
        if (trusted.isEmpty()) {
            refusal = ("host key of %s not verified: no host-key is set and %s has no entry for it; the server offered %s. "
                    + "If that is your server's key, set host-key: \"%s\" (or add it to known_hosts); to skip the check, %s: true")
                    .formatted(settings.hostAndPort(), trustSource, describe(offered), offeredLine, SftpSettings.SKIP_HOST_KEY_CHECK);
        } else {
            refusal = ("host key of %s does not match %s: the server offered %s, want %s. The server's key changed, or this is not your server")
                    .formatted(settings.hostAndPort(), trustSource, describe(offered), trusted.stream().map(HostKeyCheck::describe).toList());
        }
        return false;
    }

    /** Why the last connection's host key was refused, or null. */
    String refusal() {
        return refusal;
    }

    static String describe(PublicKey key) {
        return KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
    }
}
