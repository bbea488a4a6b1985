package io.litestream4j.ltx;

/** How page data is compressed inside an LTX file. Readers accept both. */
public enum PageEncoding {
    /** Page flag 0x1: u32 compressed size, then one LZ4 block. Written by Litestream 0.5.16+. */
    BLOCK,
    /**
     * Page flag 0: one LZ4 frame per page, no size prefix. Written by Litestream 0.5.0 - 0.5.15,
     * the only encoding those releases can read.
     */
    FRAME
}
