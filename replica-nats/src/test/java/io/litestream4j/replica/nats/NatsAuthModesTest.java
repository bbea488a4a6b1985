package io.litestream4j.replica.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.litestream4j.core.replica.ReplicaClient;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.support.JsonSerializable;
import io.nats.client.support.JwtUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each way the config keys promise to authenticate, against a real nats-server configured to
 * require exactly it: {@code nkey} (a user's NKey seed answering the server's challenge), {@code
 * jwt} with {@code seed} and {@code creds} (a decentralised-auth server: an operator, an account
 * with JetStream, a user JWT that account signed; the JWTs made here with jnats' NKey and JwtUtils
 * as {@code nsc} would), and mutual TLS ({@code client-cert}, {@code client-key}, {@code root-cas}).
 * Each writes, lists, reads and deletes a file; each refuses a wrong credential with an error naming
 * the kind of credentials and never the secret. ({@code username}/{@code password} and {@code
 * token} have their own contract suites.)
 */
@Timeout(120) // per test: seconds normally; it ends a hang, not a slow run
class NatsAuthModesTest {
    private static final String BUCKET = "auth";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    private static ReplicaClient open(NatsServer server, Map<String, String> keys) throws IOException {
        Map<String, String> all = new HashMap<>(keys);
        all.putIfAbsent("timeout", "10s");
        return new NatsReplicaClientFactory().create("nats", URI.create("nats://" + server.address() + "/" + BUCKET), all);
    }

    /** Writes, lists, reads back and deletes one file through a client configured with {@code keys}. */
    private static void roundTrip(NatsServer server, Map<String, String> keys) throws Exception {
        byte[] data = "an ltx file's bytes, as far as the store cares".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        TxidRange range = new TxidRange(1, 3);
        try (ReplicaClient c = open(server, keys)) {
            c.write(0, range, new ByteArrayInputStream(data), data.length, Instant.parse("2026-11-30T04:00:00.123Z"));
            List<LtxFileInfo> listed = c.listFiles(0, 0);
            assertThat(listed).extracting(LtxFileInfo::range).containsExactly(range);
            try (InputStream in = c.open(0, range)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            c.delete(0, range);
            assertThat(c.listFiles(0, 0)).isEmpty();
        }
    }

    /** A client with {@code keys} fails to connect, naming the server and {@code kind}, and never prints {@code secret}. */
    private static void refused(NatsServer server, Map<String, String> keys, String kind, String secret) throws Exception {
        try (ReplicaClient c = open(server, keys)) {
            assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot connect to nats://" + server.address()).hasMessageContaining(kind)
                    .message().doesNotContain(secret);
        }
    }

    private static String pub(NKey key) throws Exception {
        return new String(key.getPublicKey());
    }

    @Test
    void nkeySeedAnswersTheServersChallenge() throws Exception {
        NKey user = NKey.createUser(RANDOM);
        String seed = new String(user.getSeed());
        String config = "authorization {\n  users = [ { nkey: \"%s\" } ]\n}".formatted(pub(user));
        try (NatsServer server = NatsServer.withConfig(config, b -> b.authHandler(Nats.staticCredentials(null, seed.toCharArray())))) {
            server.createBucket(BUCKET);
            roundTrip(server, Map.of("nkey", seed));
            String stranger = new String(NKey.createUser(RANDOM).getSeed());
            refused(server, Map.of("nkey", stranger), "(nkey)", stranger);
        }
    }

    /** An operator, its system account, one account with JetStream that it signed, and one user of that account: what {@code nsc} sets up. */
    private record Decentralised(String serverConfig, String userJwt, String userSeed, NKey account) {
        static Decentralised create() throws Exception {
            NKey operator = NKey.createOperator(RANDOM);
            NKey system = NKey.createAccount(RANDOM); // JetStream in operator mode needs a system account
            NKey account = NKey.createAccount(RANDOM);
            NKey user = NKey.createUser(RANDOM);
            long now = System.currentTimeMillis() / 1000;
            String operatorJwt = JwtUtils.issueJWT(operator, pub(operator), "test operator", null, now, pub(operator),
                    json("{\"type\":\"operator\",\"version\":2}"));
            String accountJwt = JwtUtils.issueJWT(operator, pub(account), "litestream", null, now, pub(operator),
                    json("{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,"
                            + "\"leaf\":-1,\"mem_storage\":-1,\"disk_storage\":-1,\"streams\":-1,\"consumer\":-1},"
                            + "\"default_permissions\":{\"pub\":{},\"sub\":{}},\"type\":\"account\",\"version\":2}"));
            String systemJwt = JwtUtils.issueJWT(operator, pub(system), "SYS", null, now, pub(operator),
                    json("{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,"
                            + "\"leaf\":-1},\"type\":\"account\",\"version\":2}"));
            String userJwt = JwtUtils.issueUserJWT(account, pub(account), pub(user), "litestream4j");
            String config = """
                    operator: "%s"
                    system_account: %s
                    resolver: MEMORY
                    resolver_preload: {
                      %s: "%s"
                      %s: "%s"
                    }
                    """.formatted(operatorJwt, pub(system), pub(system), systemJwt, pub(account), accountJwt);
            return new Decentralised(config, userJwt, new String(user.getSeed()), account);
        }

        private static JsonSerializable json(String claims) {
            return () -> claims;
        }

        NatsServer start() throws Exception {
            return NatsServer.withConfig(serverConfig, b -> b.authHandler(Nats.staticCredentials(userJwt.toCharArray(), userSeed.toCharArray())));
        }

        /** A user JWT for another user of the same account, with that user's seed: valid, but not the seed the JWT names. */
        String strangersSeed() throws Exception {
            return new String(NKey.createUser(RANDOM).getSeed());
        }
    }

    @Test
    void jwtAndSeedOnADecentralisedServer() throws Exception {
        Decentralised auth = Decentralised.create();
        try (NatsServer server = auth.start()) {
            server.createBucket(BUCKET);
            roundTrip(server, Map.of("jwt", auth.userJwt(), "seed", auth.userSeed()));
            String wrongSeed = auth.strangersSeed();
            refused(server, Map.of("jwt", auth.userJwt(), "seed", wrongSeed), "(jwt and seed)", wrongSeed);
        }
    }

    @Test
    void credsFileOnADecentralisedServer() throws Exception {
        Decentralised auth = Decentralised.create();
        // the layout nsc writes
        Path creds = Files.writeString(dir.resolve("user.creds"), """
                -----BEGIN NATS USER JWT-----
                %s
                ------END NATS USER JWT------

                ************************* IMPORTANT *************************
                NKEY Seed printed below can be used to sign and prove identity.
                NKEYs are sensitive and should be treated as secrets.

                -----BEGIN USER NKEY SEED-----
                %s
                ------END USER NKEY SEED------

                *************************************************************
                """.formatted(auth.userJwt(), auth.userSeed()));
        try (NatsServer server = auth.start()) {
            server.createBucket(BUCKET);
            roundTrip(server, Map.of("creds", creds.toString()));
            String wrongSeed = auth.strangersSeed();
            Path wrong = Files.writeString(dir.resolve("wrong.creds"), Files.readString(creds).replace(auth.userSeed(), wrongSeed));
            refused(server, Map.of("creds", wrong.toString()), "credentials file " + wrong, wrongSeed);
        }
    }

    @Test
    void mutualTlsWithAClientCertificate() throws Exception {
        try (NatsServer server = NatsServer.mutualTls()) {
            server.createBucket(BUCKET);
            TestCertificates tls = server.certificates();
            roundTrip(server, Map.of("root-cas", tls.caCert().toString(), "client-cert", tls.clientCert().toString(), "client-key",
                    tls.clientKey().toString()));
            // the server's CA trusted, but no client certificate: the server refuses the handshake
            try (ReplicaClient c = open(server, Map.of("tls", "true", "root-cas", tls.caCert().toString()))) {
                assertThatThrownBy(() -> c.listFiles(0, 0)).isInstanceOf(IOException.class)
                        .hasMessageContaining("cannot connect to nats://" + server.address());
            }
        }
    }
}
