package io.litestream4j.ltx;

/**
 * The 16-byte trailer of an LTX file: the database checksum after the file is applied, then the
 * file checksum ({@code FLAG | CRC-64/ISO} of every byte before it, with each page's decompressed
 * data hashed in place of its compressed bytes).
 */
public record LtxTrailer(long postApplyChecksum, long fileChecksum) {
    public static final int SIZE = 16;
}
