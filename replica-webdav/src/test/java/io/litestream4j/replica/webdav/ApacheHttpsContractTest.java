package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaSpec;
import java.net.URI;
import org.junit.jupiter.api.BeforeAll;

/** The replica contract on Apache httpd over HTTPS ({@code webdavs://}), its self-signed certificate trusted by the test. */
class ApacheHttpsContractTest extends WebDavContractTest {
    @BeforeAll
    static void startServer() throws Exception {
        start(DavServer.apache(true));
    }

    @Override
    protected ReplicaClient newClient() throws Exception {
        WebDavReplicaClientFactory factory = new WebDavReplicaClientFactory();
        WebDavSettings settings = factory.settings(ReplicaSpec.of(URI.create(server().url("contract/t" + nextFolder())), factory));
        return new WebDavReplicaClient(settings, server().trustingSsl());
    }
}
