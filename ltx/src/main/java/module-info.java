/** The LTX file format of Litestream 0.5 and superfly/ltx: encoding, decoding, checksums, compaction. */
module io.litestream4j.ltx {
    requires org.lz4.java;

    exports io.litestream4j.ltx;
}
