package io.litestream4j.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * An application that writes through the driver and exits without closing its connection, as
 * many do on SIGTERM: run in a JVM of its own by {@link ShutdownFinalSyncTest}.
 * Arguments: the JDBC URL, the number of rows.
 */
public final class ExitWithoutClosingApp {
    private ExitWithoutClosingApp() {}

    public static void main(String[] args) throws Exception {
        Connection c = DriverManager.getConnection(args[0]);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
            for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                st.execute("INSERT INTO t (v) VALUES ('row " + i + "')");
            }
        }
        System.out.println("written");
        System.exit(0); // the connection is left open
    }
}
