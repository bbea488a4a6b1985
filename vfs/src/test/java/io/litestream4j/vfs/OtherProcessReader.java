package io.litestream4j.vfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

/**
 * A reader in its own JVM for {@link FollowingReadersContract}: registers a VFS on the replica URL,
 * runs read transactions checking that each sees a whole prefix of the writer's transactions,
 * until the stop file names a transaction it has seen (or 60 s after the stop file appears).
 * Prints {@code READY} after its first read transaction, then {@code OK <read transactions> <newest seen>}
 * and exits 0, or prints the problem and exits 1.
 *
 * <p>Arguments: VFS name, replica URL, stop file.
 */
public final class OtherProcessReader {
    private OtherProcessReader() {}

    public static void main(String[] args) throws Exception {
        String name = args[0];
        String url = args[1];
        Path stop = Path.of(args[2]);
        long reads = 0;
        long seen = 0;
        long stopDeadline = Long.MAX_VALUE;
        try (LitestreamVfs vfs = LitestreamVfs.register(name, url, VfsOptions.defaults());
             Connection c = DriverManager.getConnection(vfs.jdbcUrl()); Statement st = c.createStatement()) {
            while (true) {
                st.execute("BEGIN");
                long n;
                try (ResultSet rs = st.executeQuery("SELECT n FROM meta WHERE k = 1")) {
                    rs.next();
                    n = rs.getLong(1);
                }
                long want = 0;
                for (long i = 1; i <= n; i++) {
                    want += FollowingReadersContract.payloadLength(i);
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(payload)), 0) FROM t")) {
                    rs.next();
                    if (rs.getLong(1) != n || rs.getLong(2) != n || rs.getLong(3) != want) {
                        System.out.printf("PROBLEM meta says %d transactions, t holds count %d, max id %d, %d payload bytes (want %d)%n", n,
                                rs.getLong(1), rs.getLong(2), rs.getLong(3), want);
                        System.exit(1);
                    }
                }
                st.execute("COMMIT");
                if (reads == 0) {
                    System.out.println("READY");
                    System.out.flush();
                }
                reads++;
                seen = Math.max(seen, n);
                if (Files.exists(stop)) {
                    String text = Files.readString(stop).trim();
                    if (!text.isEmpty() && seen >= Long.parseLong(text)) {
                        break;
                    }
                    stopDeadline = Math.min(stopDeadline, System.nanoTime() + Duration.ofSeconds(60).toNanos());
                    if (System.nanoTime() > stopDeadline) {
                        System.out.printf("PROBLEM the last transaction %s never arrived; newest seen %d%n", text, seen);
                        System.exit(1);
                    }
                }
                Thread.sleep(5);
            }
        } catch (Throwable t) {
            System.out.println("PROBLEM " + t);
            System.exit(1);
        }
        System.out.printf("OK %d %d%n", reads, seen);
        System.exit(0);
    }
}
