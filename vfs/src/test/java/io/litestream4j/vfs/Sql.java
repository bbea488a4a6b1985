package io.litestream4j.vfs;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Small query helpers for the VFS tests. */
final class Sql {
    private Sql() {}

    /** The first row of {@code query}, its columns joined by "/". */
    static String row(Connection c, String query) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            if (!rs.next()) {
                return "(no row)";
            }
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                b.append(i == 1 ? "" : "/").append(rs.getString(i));
            }
            return b.toString();
        }
    }

    /** {@code PRAGMA integrity_check}'s first line ("ok" for a sound database). */
    static String integrity(Connection c) throws SQLException {
        return row(c, "PRAGMA integrity_check");
    }
}
