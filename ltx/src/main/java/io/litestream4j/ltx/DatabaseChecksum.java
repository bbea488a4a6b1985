package io.litestream4j.ltx;

/**
 * A running database checksum: the XOR of the page checksums of every page present. Because XOR
 * is its own inverse, a changed page is accounted for by removing its old checksum and adding the
 * new one, so a replicator can keep the checksum current without re-reading the database.
 *
 * <p>Not thread-safe.
 */
public final class DatabaseChecksum {
    private long xor;

    /** Starts from the checksum of an empty database. */
    public DatabaseChecksum() {}

    /** Starts from an existing database checksum ({@code 0} or a value with {@link Checksums#FLAG}). */
    public DatabaseChecksum(long checksum) {
        this.xor = checksum & ~Checksums.FLAG;
    }

    /** Adds a page checksum (a page that is now present). */
    public DatabaseChecksum add(long pageChecksum) {
        xor ^= pageChecksum & ~Checksums.FLAG;
        return this;
    }

    /** Removes a page checksum (a page whose old content is gone). Same operation as add. */
    public DatabaseChecksum remove(long pageChecksum) {
        return add(pageChecksum);
    }

    /** Replaces the old content of a page with new content. */
    public DatabaseChecksum replace(long oldPageChecksum, long newPageChecksum) {
        return add(oldPageChecksum).add(newPageChecksum);
    }

    public long value() {
        return Checksums.FLAG | xor;
    }
}
