package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * File-system notifications for every database of the process through one watch service: one
 * inotify instance and one thread however many databases there are (a watch service per
 * database would cost a platform thread each, and Linux allows 128 inotify instances per user
 * by default). Each database subscribes to its WAL's name in its directory.
 *
 * <p>Lifetime: each replicated database {@link #acquire acquires} the watcher when it starts and
 * {@link #release releases} it when it closes; the last release closes the watch service and its
 * thread ends, so an application that stops replicating is left with no thread of ours. The next
 * acquire starts a new one.
 */
final class WalWatcher {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(WalWatcher.class);
    /** The watcher in use, or null when no database uses one. Guarded by WalWatcher.class. */
    private static WalWatcher shared;
    /** Databases that acquired {@link #shared} and have not released it. Guarded by WalWatcher.class. */
    private static int users;

    private final WatchService service;
    /** Per watched directory: its key and the subscriptions by file name. */
    private final Map<Path, Directory> directories = new ConcurrentHashMap<>();
    private final Map<WatchKey, Directory> byKey = new ConcurrentHashMap<>();

    private record Directory(WatchKey key, Map<String, CopyOnWriteArrayList<Listener>> listeners) {}

    /** A subscriber's two callbacks: its file changed, or events were lost and it may have. */
    private record Listener(Runnable changed, Runnable eventsLost) {}

    /** The name of the watcher's thread (the JDK's watch service may run one of its own). */
    static final String THREAD_NAME = "wal watcher";
    private final Thread thread;

    private WalWatcher(WatchService service) {
        this.service = service;
        this.thread = Thread.ofPlatform().daemon().name(THREAD_NAME).start(this::run);
    }

    /**
     * The process's watcher, started if no database uses one, or null if the platform gives none
     * (then databases poll). Every non-null result must be {@link #release released} once.
     */
    static WalWatcher acquire() {
        synchronized (WalWatcher.class) {
            if (shared == null) {
                try {
                    shared = new WalWatcher(FileSystems.getDefault().newWatchService());
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "no file-system notifications ({0}); databases are polled every monitor-interval", e.getMessage());
                    return null;
                }
            }
            users++;
            return shared;
        }
    }

    /** How many databases use the watcher now (for tests). */
    static int users() {
        synchronized (WalWatcher.class) {
            return users;
        }
    }

    /** One user is done with the watcher; the last one closes it and waits for its thread to end. */
    void release() {
        synchronized (WalWatcher.class) {
            if (shared != this || users == 0) {
                throw new IllegalStateException("wal watcher released more often than acquired");
            }
            if (--users > 0) {
                return;
            }
            shared = null;
        }
        try {
            service.close(); // take() throws ClosedWatchServiceException: the thread returns
            thread.join(10_000);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the wal watcher failed: {0}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One database's interest in one file; {@link #close} ends it. */
    final class Subscription implements AutoCloseable {
        private final Path dir;
        private final String name;
        private final Listener listener;

        private Subscription(Path dir, String name, Listener listener) {
            this.dir = dir;
            this.name = name;
            this.listener = listener;
        }

        @Override
        public void close() {
            synchronized (WalWatcher.this) {
                Directory d = directories.get(dir);
                if (d == null) {
                    return;
                }
                var list = d.listeners().get(name);
                if (list != null) {
                    list.remove(listener);
                    if (list.isEmpty()) {
                        d.listeners().remove(name);
                    }
                }
                if (d.listeners().isEmpty()) {
                    d.key().cancel();
                    directories.remove(dir);
                    byKey.remove(d.key());
                }
            }
        }
    }

    /** Calls {@code listener} (on the watcher's thread: it must only signal) whenever {@code file} is created or modified, or events were lost. */
    Subscription watch(Path file, Runnable listener) throws IOException {
        return watch(file, listener, listener);
    }

    /**
     * Calls {@code changed} whenever {@code file} is created or modified, and {@code eventsLost}
     * when the watch service dropped events of its directory (a queue overflow): then it may have
     * changed. Both on the watcher's thread: they must only signal.
     */
    synchronized Subscription watch(Path file, Runnable changed, Runnable eventsLost) throws IOException {
        Listener listener = new Listener(changed, eventsLost);
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        Directory d = directories.get(dir);
        if (d == null) {
            WatchKey key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            d = new Directory(key, new ConcurrentHashMap<>());
            directories.put(dir, d);
            byKey.put(key, d);
        }
        d.listeners().computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(listener);
        return new Subscription(dir, name, listener);
    }

    private void run() {
        while (true) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            Directory d = byKey.get(key);
            for (WatchEvent<?> ev : key.pollEvents()) {
                if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                    if (d != null) {
                        d.listeners().values().forEach(list -> list.forEach(l -> l.eventsLost().run())); // events lost: everyone looks
                    }
                    continue;
                }
                var list = d == null ? null : d.listeners().get(String.valueOf(ev.context()));
                if (list != null) {
                    list.forEach(l -> l.changed().run());
                }
            }
            key.reset();
        }
    }
}
