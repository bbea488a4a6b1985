package io.litestream4j.replica.webdav;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultistatusTest {
    private static List<Multistatus.Entry> parse(String xml) throws Exception {
        return Multistatus.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), "list /x/");
    }

    @Test
    void anyPrefixFullUrlsAndEncodedNames() throws Exception {
        List<Multistatus.Entry> entries = parse("""
                <?xml version="1.0" encoding="utf-8"?>
                <d:multistatus xmlns:d="DAV:" xmlns:x="urn:other">
                  <d:response><d:href>/dav/my%20app/ltx/0/</d:href>
                    <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
                  </d:response>
                  <d:response><d:href>http://h:8080/dav/my%20app/ltx/0/0000000000000001-0000000000000002.ltx</d:href>
                    <d:propstat><d:prop><d:resourcetype/><d:getcontentlength>1234</d:getcontentlength>
                      <d:getlastmodified>Sun, 29 Nov 2026 21:00:01 GMT</d:getlastmodified><d:getetag>"abc"</d:getetag></d:prop>
                      <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
                    <d:propstat><d:prop><x:other/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
                  </d:response>
                  <response xmlns="DAV:"><href>/dav/a+b.ltx</href><propstat><prop><getcontentlength>5</getcontentlength></prop>
                    <status>HTTP/1.1 200 OK</status></propstat></response>
                </d:multistatus>
                """);
        assertThat(entries).hasSize(3);
        assertThat(entries.get(0)).extracting(Multistatus.Entry::name, Multistatus.Entry::folder).containsExactly("0", true);
        assertThat(entries.get(1)).isEqualTo(new Multistatus.Entry("0000000000000001-0000000000000002.ltx", false, 1234,
                Instant.parse("2026-11-29T21:00:01Z"), "\"abc\""));
        assertThat(entries.get(2).name()).as("a plus in a path is a plus").isEqualTo("a+b.ltx");
        assertThat(entries.get(2).modified()).isNull();
    }

    @Test
    void notAMultistatusOrADoctypeIsAnErrorNamingTheRequest() {
        assertThatThrownBy(() -> parse("<html><body>login</body></html>")).hasMessageContaining("list /x/").hasMessageContaining("want a DAV:multistatus");
        assertThatThrownBy(() -> parse("""
                <?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>
                <d:multistatus xmlns:d="DAV:"><d:response><d:href>&e;</d:href></d:response></d:multistatus>
                """)).hasMessageContaining("not a WebDAV multistatus document");
    }
}
