package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFileInfo;
import io.litestream4j.ltx.TxidRange;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Encrypts every file with age before it reaches the wrapped replica and decrypts every read
 * (restore, compaction, resuming): the store only ever holds ciphertext, under the same names.
 * Callers see plaintext files and plaintext sizes.
 *
 * <p>Guarantees: a write streams (nothing of the file is kept on disk or in memory beyond one
 * 64 KiB chunk) and is as atomic as the wrapped client's; a file that is not age-encrypted, or
 * that no configured identity opens, is an error naming it, never plaintext passed through.
 * Not guaranteed: listed sizes are exact for files written with as many recipients as are
 * configured now (a different number gives a different header length).
 *
 * <p>Capabilities: {@link ExactTimestamps} where the wrapped client's listing carries the
 * writer's times (metadata is not encrypted), else the LTX headers are read through the
 * decryption; the Litestream 0.3 layout is offered with its files decrypted; the lease
 * ({@link LeaseStore}) is forwarded (the lock object holds no data); {@link ListsFrom} is passed
 * on with plaintext sizes; {@link LocalFiles} is hidden,
 * since the files on disk are ciphertext. With recipients but no identities the replica is
 * {@link WriteOnly}: written to, never read.
 */
public final class AgeReplicaClient extends ForwardingReplicaClient implements LegacyLayout, ExactTimestamps, WriteOnly, ListsFrom {
    private final AgeCipher cipher;

    public AgeReplicaClient(ReplicaClient delegate, AgeKeys keys) {
        super(delegate);
        this.cipher = new AgeCipher(keys);
    }

    /** {@code client} encrypted with {@code keys}, or {@code client} itself when there are none. */
    public static ReplicaClient wrap(ReplicaClient client, AgeKeys keys) {
        return keys == null ? client : new AgeReplicaClient(client, keys);
    }

    /** Reads through here decrypt: nothing may read the stored files around this decorator. */
    @Override
    protected boolean passesBytesThrough() {
        return false;
    }

    /** {@link WriteOnly} only when no identity can decrypt what is written. */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == WriteOnly.class && cipher.canDecrypt()) {
            return Optional.empty();
        }
        return super.capability(type);
    }

    @Override
    public String reason() {
        return "its files are encrypted to age recipients and the replica's age block has no identities (AGE-SECRET-KEY-1...) to decrypt them";
    }

    /** The cipher, for readers of files outside the LTX levels (Litestream 0.3's generations). */
    public AgeCipher cipher() {
        return cipher;
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long fromTxid) throws IOException {
        return plain(delegate.listFiles(level, fromTxid));
    }

    /** The wrapped store's listing from {@code minTxid} (S3's start-after) where it has one, with plaintext sizes as {@link #listFiles}. */
    @Override
    public List<LtxFileInfo> listFilesFrom(int level, long minTxid) throws IOException {
        Optional<ListsFrom> from = delegate.capability(ListsFrom.class);
        return from.isPresent() ? plain(from.get().listFilesFrom(level, minTxid)) : listFiles(level, minTxid);
    }

    @Override
    public List<LtxFileInfo> listFilesExact(int level, long fromTxid) throws IOException {
        Optional<ExactTimestamps> exact = delegate.capability(ExactTimestamps.class);
        if (exact.isPresent()) {
            return plain(exact.get().listFilesExact(level, fromTxid));
        }
        return ExactListings.withHeaderTimes(this, listFiles(level, fromTxid)); // headers read decrypted
    }

    private List<LtxFileInfo> plain(List<LtxFileInfo> files) {
        if (!cipher.canEncrypt()) {
            return files; // no recipients, no header length: sizes stay those of the ciphertext
        }
        return files.stream().map(f -> new LtxFileInfo(f.level(), f.range(), Math.max(0, cipher.plaintextSize(f.size())), f.createdAt())).toList();
    }

    /** Decrypts the whole file; parts are read from its start ({@link RangedReads} is hidden: age chunks are not entered mid-way here). */
    @Override
    public InputStream open(int level, TxidRange range) throws IOException {
        String name = "%s level %d file %s".formatted(delegate.location(), level, range.fileName());
        return cipher.decrypt(delegate.open(level, range), name);
    }

    @Override
    public LtxFileInfo write(int level, TxidRange range, InputStream data, long size, Instant createdAt) throws IOException {
        String name = "%s level %d file %s".formatted(delegate.location(), level, range.fileName());
        try (InputStream encrypted = cipher.encrypt(new SizedInput(data, size, name), name)) {
            LtxFileInfo stored = delegate.write(level, range, encrypted, cipher.ciphertextSize(size), createdAt);
            return new LtxFileInfo(stored.level(), stored.range(), size, stored.createdAt());
        }
    }

    @Override
    public boolean holdsLitestream03() throws IOException {
        Optional<LegacyLayout> legacy = delegate.capability(LegacyLayout.class);
        return legacy.isPresent() && legacy.get().holdsLitestream03();
    }

    @Override
    public List<LegacyFile> listLegacyFiles() throws IOException {
        Optional<LegacyLayout> legacy = delegate.capability(LegacyLayout.class);
        return legacy.isPresent() ? legacy.get().listLegacyFiles() : List.of();
    }

    /** Litestream 0.3 encrypted its files the same way (plaintext, LZ4 frame, age), under unchanged names. */
    @Override
    public InputStream openLegacyFile(String path) throws IOException {
        Optional<LegacyLayout> legacy = delegate.capability(LegacyLayout.class);
        if (legacy.isEmpty()) {
            throw new java.nio.file.NoSuchFileException(delegate.location() + "/" + path);
        }
        return cipher.decrypt(legacy.get().openLegacyFile(path), delegate.location() + "/" + path);
    }

    @Override
    public String toString() {
        return "AgeReplicaClient[" + delegate.location() + "]";
    }
}
