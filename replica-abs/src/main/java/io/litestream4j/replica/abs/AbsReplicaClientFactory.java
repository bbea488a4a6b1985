package io.litestream4j.replica.abs;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientFactory;
import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * {@code abs://[account@]container/path}: a replica in Azure Blob Storage. From a config section:
 * {@code url}, or {@code bucket} (the container) and {@code path}, with {@code account-name},
 * {@code account-key}, {@code sas-token} and {@code endpoint}, as Litestream 0.5 reads them.
 * Without {@code sas-token} or {@code account-key}, {@code LITESTREAM_AZURE_SAS_TOKEN} and
 * {@code LITESTREAM_AZURE_ACCOUNT_KEY} are used.
 */
public final class AbsReplicaClientFactory implements ReplicaClientFactory {
    static final String SAS_TOKEN_ENV = "LITESTREAM_AZURE_SAS_TOKEN";
    static final String ACCOUNT_KEY_ENV = "LITESTREAM_AZURE_ACCOUNT_KEY";

    private final UnaryOperator<String> env;

    public AbsReplicaClientFactory() {
        this(System::getenv);
    }

    /** With {@code env} in place of the process environment (for tests). */
    AbsReplicaClientFactory(UnaryOperator<String> env) {
        this.env = env;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("abs");
    }

    @Override
    public Set<String> configKeys() {
        return Set.of("bucket", "path", "account-name", "account-key", "sas-token", "endpoint");
    }

    @Override
    public Set<String> secretKeys() {
        return Set.of("account-key", "sas-token");
    }

    @Override
    public ReplicaClient create(URI url) throws IOException {
        return create(ReplicaSpec.of(url, this));
    }

    @Override
    public ReplicaClient create(ReplicaSpec spec) throws IOException {
        return new AbsReplicaClient(settings(spec));
    }

    /** Reads the settings as Litestream does: config keys first, then the URL's parts, then the environment. */
    AbsSettings settings(ReplicaSpec spec) throws IOException {
        String container;
        String path;
        if (spec.url() != null) {
            if (spec.keys().containsKey("bucket") || spec.keys().containsKey("path")) {
                throw spec.error("set url, or bucket and path, not both");
            }
            container = spec.url().getHost();
            if (container == null) {
                throw spec.error("want abs://[ACCOUNT@]CONTAINER/PATH (a container name of lower-case letters, digits and hyphens)");
            }
            path = spec.path();
        } else {
            container = spec.require("bucket", "the container");
            path = spec.get("path", "");
        }
        String account = spec.get("account-name");
        if (account == null && spec.url() != null) {
            account = spec.user();
        }
        String key = spec.get("account-key", env.apply(ACCOUNT_KEY_ENV));
        String sas = spec.get("sas-token", env.apply(SAS_TOKEN_ENV));
        URI endpoint;
        String configured = spec.get("endpoint");
        if (configured != null) {
            try {
                endpoint = new URI(configured.replaceAll("/+$", ""));
            } catch (java.net.URISyntaxException e) {
                endpoint = URI.create("invalid:/");
            }
            if (endpoint.getScheme() == null || endpoint.getHost() == null) {
                throw spec.error("endpoint=%s: want a URL such as https://ACCOUNT.blob.core.windows.net".formatted(configured));
            }
        } else if (account != null) {
            endpoint = AbsSettings.defaultEndpoint(account);
        } else {
            throw spec.error("want account-name (or abs://ACCOUNT@CONTAINER/PATH), or an endpoint");
        }
        boolean sasGiven = sas != null && !sas.isBlank();
        if (!sasGiven && key != null && !key.isBlank() && account == null) {
            throw spec.error("account-key needs account-name (or abs://ACCOUNT@CONTAINER/PATH)");
        }
        if (!sasGiven && key != null && !key.isBlank()) {
            try {
                java.util.Base64.getDecoder().decode(key.trim());
            } catch (IllegalArgumentException e) {
                throw spec.error("account-key: want the storage account's key as the Azure portal shows it (base64)");
            }
        }
        AbsSettings settings = new AbsSettings(account, key, sas, endpoint, container, path);
        if (settings.auth() == AbsSettings.Auth.DEFAULT_CHAIN && !"https".equalsIgnoreCase(endpoint.getScheme())) {
            throw spec.error("no sas-token or account-key (nor %s or %s), and the default Azure credential chain needs an https endpoint, not %s"
                    .formatted(SAS_TOKEN_ENV, ACCOUNT_KEY_ENV, endpoint));
        }
        return settings;
    }
}
