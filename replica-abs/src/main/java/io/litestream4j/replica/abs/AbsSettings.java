package io.litestream4j.replica.abs;

import java.net.URI;

/**
 * Where an Azure Blob Storage replica is and how to authenticate, as Litestream 0.5 reads them.
 * Credentials are tried in Litestream's order: the SAS token, then the shared key (which needs
 * the account name), then the default Azure credential chain. {@link #toString()} never shows a
 * secret.
 *
 * @param accountName the storage account, or null (then {@code endpoint} must be given)
 * @param accountKey the shared key, or null
 * @param sasToken a SAS token (with or without its leading {@code ?}), or null
 * @param endpoint the blob service endpoint, e.g. {@code https://acct.blob.core.windows.net}
 * @param container the container (Litestream's {@code bucket})
 * @param path the folder inside the container, without leading or trailing slashes; "" for its root
 */
public record AbsSettings(String accountName, String accountKey, String sasToken, URI endpoint, String container, String path) {
    public AbsSettings {
        if (container == null || container.isBlank()) {
            throw new IllegalArgumentException("container: want a name, got none");
        }
        if (endpoint == null) {
            throw new IllegalArgumentException("endpoint: want a URL, got none");
        }
        path = path == null ? "" : path.replaceAll("^/+", "").replaceAll("/+$", "");
        sasToken = sasToken == null || sasToken.isBlank() ? null : sasToken.startsWith("?") ? sasToken.substring(1) : sasToken;
        accountKey = accountKey == null || accountKey.isBlank() ? null : accountKey;
        accountName = accountName == null || accountName.isBlank() ? null : accountName;
    }

    /** The endpoint Litestream uses when none is configured. */
    public static URI defaultEndpoint(String accountName) {
        return URI.create("https://" + accountName + ".blob.core.windows.net");
    }

    /** How requests are authenticated, in Litestream's order of preference. */
    public enum Auth {
        SAS_TOKEN, SHARED_KEY, DEFAULT_CHAIN
    }

    /** The credential in use: a SAS token wins over a shared key, which wins over the default chain. */
    public Auth auth() {
        if (sasToken != null) {
            return Auth.SAS_TOKEN;
        }
        return accountKey != null ? Auth.SHARED_KEY : Auth.DEFAULT_CHAIN;
    }

    /** Where the replica is, for messages: {@code abs://[account@]container/path} and a non-default endpoint. */
    public String describe() {
        String where = "abs://" + (accountName != null ? accountName + "@" : "") + container + (path.isEmpty() ? "" : "/" + path);
        boolean defaultEndpoint = accountName != null && endpoint.equals(defaultEndpoint(accountName));
        return defaultEndpoint ? where : where + " (endpoint " + endpoint + ")";
    }

    /** Replaces every secret that may appear in {@code text} (the key, the token, a SAS signature) with {@code *****}. */
    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String out = text;
        if (sasToken != null) {
            out = out.replace(sasToken, "*****");
        }
        if (accountKey != null) {
            out = out.replace(accountKey, "*****");
        }
        return out.replaceAll("(?i)(sig=)[^&\\s\"']+", "$1*****");
    }

    @Override
    public String toString() {
        return "AbsSettings[%s, auth=%s]".formatted(describe(), auth());
    }
}
