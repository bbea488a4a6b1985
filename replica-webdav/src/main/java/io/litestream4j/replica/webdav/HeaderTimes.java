package io.litestream4j.replica.webdav;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The LTX header timestamps already read, so a second point-in-time restore (or a second level
 * listing) does not read every header again. A file's bytes never change under one name, but a
 * name can be written again (an overwrite), so an entry is keyed by what the listing says of the
 * file: its name, size, modification time and entity tag.
 */
final class HeaderTimes {
    /** Beyond this many entries the cache starts afresh: a bound on memory, not a working-set policy. */
    private static final int MAX_ENTRIES = 200_000;

    private final Map<String, Instant> times = new ConcurrentHashMap<>();

    static String key(int level, Multistatus.Entry e) {
        return level + "/" + e.name() + "|" + e.size() + "|" + e.modified() + "|" + e.etag();
    }

    Instant get(String key) {
        return times.get(key);
    }

    void put(String key, Instant time) {
        if (times.size() >= MAX_ENTRIES) {
            times.clear();
        }
        times.put(key, time);
    }
}
