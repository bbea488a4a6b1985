package io.litestream4j.core.restore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The Litestream 0.3 fixture ({@code ../shared/fixtures/litestream-v0.3}) and the facts its
 * {@code EXPECTED.json} states about a correct restore, checked against a restored database.
 * Under CI the fixture must be there: a missing one fails rather than skips.
 */
public final class Litestream03Expected {
    private Litestream03Expected() {}

    public static Path fixture() {
        Path dir = Path.of(System.getProperty("fixtures.dir", "../../shared/fixtures")).resolve("litestream-v0.3").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("EXPECTED.json"))) {
            String message = "the Litestream 0.3 fixture is not at " + dir + " (expected ../shared/fixtures beside the checkout)";
            assertThat(System.getenv("CI")).as(message).isNotEqualToIgnoringCase("true");
            Assumptions.assumeTrue(false, message + "; skipping outside CI");
        }
        return dir;
    }

    public static JsonNode expected() throws Exception {
        return new ObjectMapper().readTree(fixture().resolve("EXPECTED.json").toFile());
    }

    /** Asserts that {@code db} is exactly the database EXPECTED.json describes. */
    public static void assertMatches(Path db) throws Exception {
        JsonNode restored = expected().get("restored");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            assertThat(one(st, "PRAGMA integrity_check")).isEqualTo(restored.get("integrityCheck").asText());
            assertThat(Long.parseLong(one(st, "PRAGMA page_size"))).isEqualTo(restored.get("pageSize").asLong());
            assertThat(Long.parseLong(one(st, "PRAGMA page_count"))).isEqualTo(restored.get("pageCount").asLong());
            assertThat(one(st, "PRAGMA journal_mode")).isEqualTo(restored.get("journalMode").asText());
            List<String> schema = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")) {
                while (rs.next()) {
                    schema.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4));
                }
            }
            List<String> want = new ArrayList<>();
            restored.get("schema").forEach(r -> want.add(r.get(0).asText() + "|" + r.get(1).asText() + "|" + r.get(2).asText() + "|"
                    + (r.get(3).isNull() ? "null" : r.get(3).asText())));
            assertThat(schema).isEqualTo(want);
            var counts = restored.get("rowCounts").properties();
            for (var e : counts) {
                assertThat(Long.parseLong(one(st, "SELECT count(*) FROM " + e.getKey()))).as("rows of %s", e.getKey()).isEqualTo(e.getValue().asLong());
            }
            for (var e : restored.get("tableDigests").properties()) {
                assertThat(tableDigest(st, e.getKey())).as("digest of %s", e.getKey()).isEqualTo(e.getValue().asText());
            }
            for (JsonNode a : restored.get("aggregates")) {
                List<String> got = new ArrayList<>();
                try (ResultSet rs = st.executeQuery(a.get("sql").asText())) {
                    while (rs.next()) {
                        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                            got.add(rs.getString(i));
                        }
                    }
                }
                List<String> wantRow = new ArrayList<>();
                a.get("result").forEach(row -> row.forEach(v -> wantRow.add(v.asText())));
                assertThat(got).as(a.get("sql").asText()).isEqualTo(wantRow);
            }
        }
    }

    private static String one(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.getString(1);
        }
    }

    /** EXPECTED.json's tableDigestFormat: SHA-256 of the rows in rowid order, columns joined with '|'. */
    private static String tableDigest(Statement st, String table) throws Exception {
        StringBuilder text = new StringBuilder();
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + table + " ORDER BY rowid")) {
            ResultSetMetaData md = rs.getMetaData();
            boolean first = true;
            while (rs.next()) {
                if (!first) {
                    text.append('\n');
                }
                first = false;
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    if (i > 1) {
                        text.append('|');
                    }
                    Object v = rs.getObject(i);
                    if (v == null) {
                        text.append("NULL");
                    } else if (v instanceof byte[] b) {
                        text.append("X'").append(HexFormat.of().withUpperCase().formatHex(b)).append('\'');
                    } else if (md.getColumnType(i) == Types.REAL || v instanceof Double) {
                        text.append(rs.getString(i));
                    } else {
                        text.append(v);
                    }
                }
            }
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    }
}
