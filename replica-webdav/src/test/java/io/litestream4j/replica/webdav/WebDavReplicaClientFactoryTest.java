package io.litestream4j.replica.webdav;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaSpec;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebDavReplicaClientFactoryTest {
    private final WebDavReplicaClientFactory factory = new WebDavReplicaClientFactory();

    private WebDavSettings fromUrl(String url) throws IOException {
        return factory.settings(ReplicaSpec.of(URI.create(url), factory));
    }

    private WebDavSettings fromConfig(String type, String url, Map<String, String> keys) throws IOException {
        return factory.settings(ReplicaSpec.of(type, url == null ? null : URI.create(url), keys, factory));
    }

    @Test
    void aUrlGivesServerFoldersAndCredentials() throws Exception {
        WebDavSettings s = fromUrl("webdav://me:p%40ss@dav.example.com:8080/backups/app");
        assertThat(s.server()).isEqualTo(URI.create("http://dav.example.com:8080"));
        assertThat(s.folders()).containsExactly("backups", "app");
        assertThat(s.username()).isEqualTo("me");
        assertThat(s.password()).isEqualTo("p@ss");
        assertThat(s.describe()).isEqualTo("webdav://dav.example.com:8080/backups/app");
        assertThat(s.toString()).doesNotContain("p@ss");
        assertThat(s.resolve(List.of("ltx", "0", "0000000000000001-0000000000000001.ltx"), false))
                .isEqualTo(URI.create("http://dav.example.com:8080/backups/app/ltx/0/0000000000000001-0000000000000001.ltx"));

        WebDavSettings secure = fromUrl("webdavs://dav.example.com/my%20files/app");
        assertThat(secure.server()).isEqualTo(URI.create("https://dav.example.com"));
        assertThat(secure.username()).isNull();
        assertThat(secure.resolve(List.of("ltx"), true)).hasToString("https://dav.example.com/my%20files/app/ltx/");
        assertThat(factory.create(URI.create("webdavs://u:pw@h/x")).location()).isEqualTo("webdavs://h/x");
    }

    @Test
    void configKeysAsLitestreamReadsThem() throws Exception {
        WebDavSettings s = fromConfig("webdav", null, Map.of("webdav-url", "https://dav.example.com/remote.php/dav", "webdav-username", "me",
                "webdav-password", "hunter2", "path", "/backups/app/"));
        assertThat(s.server()).isEqualTo(URI.create("https://dav.example.com"));
        assertThat(s.folders()).containsExactly("remote.php", "dav", "backups", "app");
        assertThat(s.username()).isEqualTo("me");
        assertThat(s.password()).isEqualTo("hunter2");

        // with a URL, the config's user and password win over the URL's
        WebDavSettings both = fromConfig("webdav", "webdav://urluser:urlpass@h/p", Map.of("webdav-username", "cfg", "webdav-password", "cfgpass"));
        assertThat(both.username()).isEqualTo("cfg");
        assertThat(both.password()).isEqualTo("cfgpass");
        assertThat(factory.secretKeys()).containsExactly("webdav-password");
        assertThat(factory.configKeys()).containsExactlyInAnyOrder("webdav-url", "webdav-username", "webdav-password", "path");
    }

    @Test
    void badSettingsAreErrorsThatNeverShowThePassword() {
        assertThatThrownBy(() -> fromConfig("webdav", "webdav://u:pw@h/p", Map.of("path", "x"))).hasMessageContaining("set url or path, not both")
                .hasMessageNotContaining("pw");
        assertThatThrownBy(() -> fromConfig("webdav", "webdav://h/p", Map.of("webdav-url", "http://h"))).hasMessageContaining("not both");
        assertThatThrownBy(() -> fromConfig("webdav", null, Map.of("webdav-password", "s3cret"))).hasMessageContaining("want webdav-url")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> fromConfig("webdav", null, Map.of("webdav-url", "ftp://h/x", "webdav-password", "s3cret")))
                .hasMessageContaining("want an http:// or https:// URL").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> fromConfig("webdav", null, Map.of("webdav-url", "http://me:s3cret@/x"))).hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> fromConfig("webdav", null, Map.of("webdav-url", "https://me:s3cret@h.example/x")))
                .hasMessageContaining("webdav-url must not hold a user or password").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> fromUrl("webdav:///path")).hasMessageContaining("want a host");
    }
}
