package io.litestream4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.Txid;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prints LTX file lists, for {@code ltx} and {@code restore -dry-run}: an aligned table or JSON. */
final class LtxListing {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LtxListing() {}

    /** Columns {@code level min_txid max_txid size created}, TXIDs as 16 hex digits, times in RFC 3339. */
    static void table(List<LtxFileInfo> files, PrintWriter out) {
        String format = "%-5s  %-16s  %-16s  %12s  %s%n";
        out.printf(format, "level", "min_txid", "max_txid", "size", "created");
        for (LtxFileInfo f : files) {
            out.printf(format, f.level(), Txid.format(f.minTxid()), Txid.format(f.maxTxid()), f.size(),
                    DateTimeFormatter.ISO_INSTANT.format(f.createdAt()));
        }
        out.flush();
    }

    /** A JSON array of {@code {level, min_txid, max_txid, size, created}} objects. */
    static void json(List<LtxFileInfo> files, PrintWriter out) throws java.io.IOException {
        out.println(JSON.writeValueAsString(files.stream().map(LtxListing::asMap).toList()));
        out.flush();
    }

    static Map<String, Object> asMap(LtxFileInfo f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", f.level());
        m.put("min_txid", Txid.format(f.minTxid()));
        m.put("max_txid", Txid.format(f.maxTxid()));
        m.put("size", f.size());
        m.put("created", DateTimeFormatter.ISO_INSTANT.format(f.createdAt()));
        return m;
    }
}
