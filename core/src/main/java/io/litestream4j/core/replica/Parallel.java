package io.litestream4j.core.replica;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Runs one request per item, at most {@code bound} at a time, on virtual threads, and returns the
 * results in the items' order; the first failure is thrown and the rest are cancelled. For
 * backends that must spend a request per file (deletes without a batch call, per-file metadata).
 */
public final class Parallel {
    @FunctionalInterface
    public interface IoFunction<T, R> {
        R apply(T t) throws IOException;
    }

    private Parallel() {}

    public static <T, R> List<R> map(List<T> items, int bound, IoFunction<T, R> f) throws IOException {
        if (items.size() <= 1) {
            List<R> out = new ArrayList<>();
            for (T t : items) {
                out.add(f.apply(t));
            }
            return out;
        }
        Semaphore permits = new Semaphore(bound);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<R>> futures = new ArrayList<>();
            for (T t : items) {
                futures.add(pool.submit(() -> {
                    permits.acquire();
                    try {
                        return f.apply(t);
                    } finally {
                        permits.release();
                    }
                }));
            }
            List<R> out = new ArrayList<>();
            try {
                for (Future<R> future : futures) {
                    out.add(future.get());
                }
            } catch (ExecutionException e) {
                futures.forEach(x -> x.cancel(true));
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for %d requests".formatted(items.size()));
        }
    }
}
