package io.litestream4j.replica.abs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClients;
import io.litestream4j.core.replica.ReplicaSpec;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How {@code abs://} URLs, config keys and the environment become settings, as Litestream 0.5 reads them. */
class AbsReplicaClientFactoryTest {
    private final Map<String, String> env = new HashMap<>();
    private final AbsReplicaClientFactory factory = new AbsReplicaClientFactory(env::get);

    private AbsSettings url(String url) throws Exception {
        return factory.settings(ReplicaSpec.of(URI.create(url), factory));
    }

    private AbsSettings config(Map<String, String> keys) throws Exception {
        return factory.settings(ReplicaSpec.of("abs", null, keys, factory));
    }

    @Test
    void theFactoryIsFoundByScheme() throws Exception {
        assertThat(ReplicaClients.factories().get("abs")).isInstanceOf(AbsReplicaClientFactory.class);
        assertThat(factory.configKeys()).containsExactlyInAnyOrder("bucket", "path", "account-name", "account-key", "sas-token", "endpoint");
        assertThat(factory.secretKeys()).containsExactlyInAnyOrder("account-key", "sas-token");
    }

    @Test
    void aUrlGivesAccountContainerAndPath() throws Exception {
        AbsSettings s = url("abs://myaccount@mycontainer/some/db/");
        assertThat(s.accountName()).isEqualTo("myaccount");
        assertThat(s.container()).isEqualTo("mycontainer");
        assertThat(s.path()).isEqualTo("some/db");
        assertThat(s.endpoint()).isEqualTo(URI.create("https://myaccount.blob.core.windows.net"));
        assertThat(s.auth()).isEqualTo(AbsSettings.Auth.DEFAULT_CHAIN);
        assertThat(s.describe()).isEqualTo("abs://myaccount@mycontainer/some/db");
    }

    @Test
    void aConfigSectionGivesTheSameAndConfigKeysWinOverTheUrl() throws Exception {
        AbsSettings s = config(Map.of("bucket", "c1", "path", "/db", "account-name", "acct", "account-key", "a2V5", "endpoint",
                "http://127.0.0.1:10000/acct/"));
        assertThat(s).extracting(AbsSettings::container, AbsSettings::path, AbsSettings::accountName, AbsSettings::accountKey)
                .containsExactly("c1", "db", "acct", "a2V5");
        assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:10000/acct"));
        assertThat(s.auth()).isEqualTo(AbsSettings.Auth.SHARED_KEY);
        AbsSettings both = factory.settings(ReplicaSpec.of("abs", URI.create("abs://urlacct@c2/p"), Map.of("account-name", "cfgacct"), factory));
        assertThat(both.accountName()).isEqualTo("cfgacct");
        assertThatThrownBy(() -> factory.settings(ReplicaSpec.of("abs", URI.create("abs://a@c/p"), Map.of("path", "q"), factory)))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> config(Map.of("path", "db", "account-name", "a"))).hasMessageContaining("want bucket");
    }

    @Test
    void credentialsComeInLitestreamsOrder() throws Exception {
        env.put("LITESTREAM_AZURE_ACCOUNT_KEY", "ZW52a2V5");
        assertThat(url("abs://acct@c/p").auth()).isEqualTo(AbsSettings.Auth.SHARED_KEY);
        assertThat(url("abs://acct@c/p").accountKey()).isEqualTo("ZW52a2V5");
        env.put("LITESTREAM_AZURE_SAS_TOKEN", "?sv=2024&sig=abc");
        AbsSettings sas = url("abs://acct@c/p");
        assertThat(sas.auth()).isEqualTo(AbsSettings.Auth.SAS_TOKEN);
        assertThat(sas.sasToken()).isEqualTo("sv=2024&sig=abc");
        assertThat(config(Map.of("bucket", "c", "account-name", "a", "sas-token", "sv=1&sig=cfg")).sasToken()).isEqualTo("sv=1&sig=cfg");
    }

    @Test
    void missingOrInconsistentSettingsAreErrorsWithoutSecrets() {
        assertThatThrownBy(() -> url("abs://container/path")).hasMessageContaining("want account-name");
        assertThatThrownBy(() -> config(Map.of("bucket", "c", "account-key", "c2VjcmV0a2V5", "endpoint", "http://127.0.0.1:1/x")))
                .hasMessageContaining("account-key needs account-name").hasMessageNotContaining("c2VjcmV0a2V5");
        assertThatThrownBy(() -> config(Map.of("bucket", "c", "account-name", "a", "account-key", "not%base64!")))
                .hasMessageContaining("account-key: want the storage account's key").hasMessageNotContaining("not%base64!");
        assertThatThrownBy(() -> config(Map.of("bucket", "c", "account-name", "a", "endpoint", "http://127.0.0.1:10000/a")))
                .hasMessageContaining("no sas-token or account-key").hasMessageContaining("needs an https endpoint, not http://127.0.0.1:10000/a");
        assertThatThrownBy(() -> config(Map.of("bucket", "c", "account-name", "a", "endpoint", "not a url", "sas-token", "sig=s3cr3t")))
                .hasMessageContaining("endpoint=not a url").hasMessageNotContaining("s3cr3t");
    }

    @Test
    void settingsNeverShowASecret() {
        AbsSettings s = new AbsSettings("acct", "S2V5U2VjcmV0", "sv=1&sig=SigSecret", URI.create("http://127.0.0.1:1/acct"), "c", "p");
        assertThat(s.toString()).doesNotContain("S2V5U2VjcmV0").doesNotContain("SigSecret").contains("abs://acct@c/p");
        assertThat(s.scrub("GET http://x/c/p?sv=1&sig=OtherSig&se=2 key S2V5U2VjcmV0")).doesNotContain("OtherSig").doesNotContain("S2V5U2VjcmV0");
    }
}
