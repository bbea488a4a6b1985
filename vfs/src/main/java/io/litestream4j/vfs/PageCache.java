package io.litestream4j.vfs;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decoded pages, least recently used evicted first, at most {@code maxBytes} of page data. Keyed
 * by (replica file, page number): a page's bytes in one file never change, so an entry can never
 * be stale; a newer state that moved a page to another file simply stops asking for the old key
 * (and {@link #evict} drops such keys at once). Shared by every connection of one VFS.
 */
final class PageCache {
    private final long maxBytes;
    private final LinkedHashMap<Long, byte[]> pages = new LinkedHashMap<>(1024, 0.75f, true);
    private long bytes;

    PageCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    static long key(ReplicaFile file, int pgno) {
        return ((long) file.cacheId() << 32) | (pgno & 0xffffffffL);
    }

    synchronized byte[] get(long key) {
        return pages.get(key);
    }

    synchronized void put(long key, byte[] page) {
        if (page.length > maxBytes) {
            return;
        }
        byte[] old = pages.put(key, page);
        bytes += page.length - (old == null ? 0 : old.length);
        var it = pages.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<Long, byte[]> eldest = it.next();
            bytes -= eldest.getValue().length;
            it.remove();
        }
    }

    synchronized void evict(Collection<Long> keys) {
        for (Long k : keys) {
            byte[] old = pages.remove(k);
            if (old != null) {
                bytes -= old.length;
            }
        }
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return pages.size();
    }
}
