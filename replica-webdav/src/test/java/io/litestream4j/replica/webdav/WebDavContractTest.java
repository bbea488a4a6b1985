package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.core.replica.ReplicaClientContract;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;

/** The replica contract against a real WebDAV server (a subclass per server), each test in a new folder. */
abstract class WebDavContractTest extends ReplicaClientContract {
    private static final AtomicInteger FOLDERS = new AtomicInteger();
    private static DavServer server;

    static void start(DavServer s) {
        server = s;
    }

    static DavServer server() {
        return server;
    }

    static int nextFolder() {
        return FOLDERS.incrementAndGet();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    @Override
    protected ReplicaClient newClient() throws Exception {
        // a folder two levels deep that does not exist yet: the first write creates it level by level
        return new WebDavReplicaClientFactory().create(URI.create(server.url("contract/t" + nextFolder())));
    }
}
