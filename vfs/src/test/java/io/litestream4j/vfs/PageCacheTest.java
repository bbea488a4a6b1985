package io.litestream4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PageCacheTest {
    @Test
    void evictsTheLeastRecentlyUsedPagesBeyondItsBound() {
        PageCache cache = new PageCache(3 * 4096);
        for (long k = 1; k <= 3; k++) {
            cache.put(k, new byte[4096]);
        }
        assertThat(cache.get(1)).isNotNull(); // 1 is now the most recently used
        cache.put(4, new byte[4096]);
        assertThat(cache.get(2)).as("least recently used, evicted").isNull();
        assertThat(cache.get(1)).isNotNull();
        assertThat(cache.get(4)).isNotNull();
        assertThat(cache.bytes()).isEqualTo(3 * 4096);
        cache.evict(List.of(1L, 99L));
        assertThat(cache.get(1)).isNull();
        assertThat(cache.bytes()).isEqualTo(2 * 4096);
    }

    @Test
    void aZeroBoundCachesNothing() {
        PageCache cache = new PageCache(0);
        cache.put(1, new byte[4096]);
        assertThat(cache.get(1)).isNull();
        assertThat(cache.bytes()).isZero();
    }
}
