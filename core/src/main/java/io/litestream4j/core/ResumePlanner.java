package io.litestream4j.core;

import io.litestream4j.core.wal.WalHeader;
import io.litestream4j.core.wal.WalScanner;
import io.litestream4j.core.wal.WalSegment;
import io.litestream4j.ltx.Checksums;
import io.litestream4j.ltx.LtxFormatException;
import io.litestream4j.ltx.LtxHeader;
import io.litestream4j.ltx.Txid;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Decides where replication continues when a database is opened: from the newest local file if
 * the WAL is still the generation it copied, through its end; without a snapshot if the database
 * file alone is the state of the newest replicated TXID; else with a snapshot at the next TXID
 * after both the local files and the replicas.
 */
final class ResumePlanner {
    private static final System.Logger LOG = io.litestream4j.core.log.Loggers.get(ResumePlanner.class);

    private final Path path;
    private final Path walPath;
    private final int pageSize;
    private final LocalLtxStore store;
    private final ImageFiles images;

    ResumePlanner(Path path, Path walPath, int pageSize, LocalLtxStore store, ImageFiles images) {
        this.path = path;
        this.walPath = walPath;
        this.pageSize = pageSize;
        this.store = store;
        this.images = images;
    }

    /**
     * Where the TXID sequence stands before the WAL is looked at.
     *
     * @param last the newest local file, if readable
     * @param txid the newest TXID, local or (without local files) the replica's
     * @param postApply the database checksum after it; 0 when unknown
     */
    record Sequence(Optional<LocalLtxStore.Last> last, long txid, long postApply) {}

    /** How replication continues. */
    enum Kind {
        /** From the WAL position of the newest local file. */
        RESUME,
        /** The database file is the newest TXID's state: the WAL is copied from its start. */
        DATABASE_MATCHES,
        /** A snapshot (or a file with every page) as the next TXID. */
        SNAPSHOT
    }

    /**
     * @param position where the copy of the WAL continues; empty: from the start of whatever WAL there is
     * @param unverified the WAL generation the first sync must still find (only its salts count), or
     *     else take a snapshot: until a sync has reached its end, a new generation may hide frames
     *     we never saw
     */
    record Plan(Kind kind, long txid, long postApply, Optional<WalPosition> position, Optional<WalPosition> unverified) {}

    /** Reads the local state and checks it against the replicas'; no lock needed. */
    Sequence sequence(Database.ReplicaState replica) throws IOException {
        long txid = 0;
        Optional<LocalLtxStore.Last> last;
        try {
            last = store.last();
        } catch (LtxFormatException e) {
            long highest = store.list().isEmpty() ? 0 : store.list().getLast().max();
            LOG.log(System.Logger.Level.WARNING, "{0}: newest local file is unreadable ({1}); a snapshot follows TXID {2}",
                    path, e.getMessage(), Txid.format(highest));
            txid = highest;
            last = Optional.empty();
        }
        long localTxid = last.map(l -> l.range().max()).orElse(0L);
        if (last.isPresent() && Long.compareUnsigned(replica.maxTxid(), localTxid) > 0) {
            throw new IOException(("database %s: the replica holds TXID %s but local state ends at %s: another replicator is "
                    + "probably writing to the same replica; stop it, or give this database a replica of its own")
                    .formatted(path, Txid.format(replica.maxTxid()), Txid.format(localTxid)));
        }
        if (last.isPresent()) {
            return new Sequence(last, last.get().range().max(), last.get().trailer().postApplyChecksum());
        }
        if (replica.maxTxid() != 0) {
            LOG.log(System.Logger.Level.INFO, "{0}: no local state; continuing the replica''s TXID sequence after {1}", path,
                    Txid.format(replica.maxTxid()));
            return new Sequence(last, replica.maxTxid(), replica.postApplyChecksum());
        }
        return new Sequence(last, txid, 0);
    }

    /**
     * The plan, made under the pin: from then on the WAL can be restarted only once everything in
     * it was copied into the database, and the first sync refuses to follow such a restart (see
     * {@link Plan#unverified}), so nothing between this look and that sync can be lost.
     */
    Plan plan(Sequence s) throws IOException {
        long txid = s.txid();
        long postApply = s.postApply();
        if (s.last().isPresent()) {
            Optional<WalPosition> resumed = resume(s.last().get());
            if (resumed.isPresent()) {
                LOG.log(System.Logger.Level.INFO, "{0}: resuming after TXID {1} at WAL offset {2}", path, Txid.format(txid),
                        resumed.get().end());
                return new Plan(Kind.RESUME, txid, postApply, resumed, resumed);
            }
        }
        if (txid != 0 && postApply != 0 && images.fileChecksum() == postApply) {
            LOG.log(System.Logger.Level.INFO, "{0}: database file matches TXID {1} (checksum {2}); continuing without a snapshot", path,
                    Txid.format(txid), Checksums.format(postApply));
            return new Plan(Kind.DATABASE_MATCHES, txid, postApply, Optional.empty(), currentGeneration());
        }
        if (txid == 0) {
            LOG.log(System.Logger.Level.INFO, "{0}: first snapshot follows (nothing replicated before)", path);
        } else {
            LOG.log(System.Logger.Level.INFO, "{0}: the database changed since TXID {1} was replicated (or it cannot be told); a snapshot follows",
                    path, Txid.format(txid));
        }
        return new Plan(Kind.SNAPSHOT, txid, postApply, Optional.empty(), Optional.empty());
    }

    /** The newest local file's WAL position, if the WAL is still its generation and holds its frames. */
    private Optional<WalPosition> resume(LocalLtxStore.Last last) throws IOException {
        LtxHeader h = last.header();
        if (h.pageSize() != pageSize || h.walOffset() == 0) {
            return Optional.empty();
        }
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            Optional<WalHeader> header = WalScanner.readHeader(wal);
            if (header.isEmpty() || !header.get().sameGeneration(h.walSalt1(), h.walSalt2())) {
                LOG.log(System.Logger.Level.INFO, "{0}: the WAL was restarted while replication was stopped", path);
                return Optional.empty();
            }
            WalSegment all = WalScanner.scan(wal, header.get(), WalHeader.SIZE, header.get().checksum());
            Optional<Long> sum = WalScanner.checksumBefore(wal, header.get(), last.walEnd());
            if (all.end() < last.walEnd() || sum.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "{0}: the WAL no longer holds the frames replicated last", path);
                return Optional.empty();
            }
            return Optional.of(new WalPosition(h.walSalt1(), h.walSalt2(), last.walEnd(), sum.get()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * When the database file is the newest TXID's state, every frame in the WAL came later, and the
     * first sync copies the WAL from its start; it must still find this generation, or it snapshots.
     */
    private Optional<WalPosition> currentGeneration() throws IOException {
        try (FileChannel wal = FileChannel.open(walPath, StandardOpenOption.READ)) {
            return WalScanner.readHeader(wal).map(WalPosition::start);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
