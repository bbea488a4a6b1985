package io.litestream4j.core.restore;

import java.util.Arrays;
import java.util.List;

/**
 * Which file of a restore plan writes each page, so that every page is written once: the newest
 * file that holds it, unless a file after that one shrank the database below it. Applying the
 * files oldest first, each truncating or zero-extending the database to its commit, gives the
 * same bytes: a page's last version is the one from the newest file holding it, and a page cut
 * off by a later, smaller commit stays zeros unless a still newer file writes it again. Pages no
 * file owns (up to the last commit) are zeros, as SQLite reads a zero-extended file; the lock
 * page is never stored, so never owned.
 *
 * <p>Memory: one int per page of the restored database (1 MiB for 1 GiB of 4 KiB pages).
 */
final class PageOwners {
    /** What the plan needs to know of one file: its commit (size in pages after it) and its page numbers, increasing. */
    record FilePages(int commit, int[] pgnos) {
        FilePages {
            if (commit < 0) {
                throw new IllegalArgumentException("commit: want at least 0, got " + Integer.toUnsignedLong(commit));
            }
        }
    }

    private static final int NONE = -1;

    private final int[] owners;
    private final int[] owned;
    /** The smallest commit of the files claimed so far: pages above it were cut off by a newer file. */
    private int bound = Integer.MAX_VALUE;
    /** The file to claim next; files are claimed newest first. */
    private int next;

    /** An empty plan for {@code files} files whose last (newest) file's commit is {@code pageCount}. */
    PageOwners(int files, int pageCount) {
        this.owners = new int[pageCount];
        Arrays.fill(owners, NONE);
        this.owned = new int[files];
        this.next = files - 1;
    }

    /** Plans {@code files}, given in the order an oldest-first restore would apply them. */
    static PageOwners of(List<FilePages> files) {
        PageOwners p = new PageOwners(files.size(), files.isEmpty() ? 0 : files.getLast().commit());
        for (int i = files.size() - 1; i >= 0; i--) {
            p.claim(i, files.get(i));
        }
        return p;
    }

    /**
     * Gives file {@code file} the pages no newer file holds and no newer file cut off. Files must
     * be claimed newest first, each once; not thread-safe (callers claim one at a time).
     */
    void claim(int file, FilePages f) {
        if (file != next) {
            throw new IllegalStateException("claim file %d: want file %d next (newest first)".formatted(file, next));
        }
        next--;
        bound = Math.min(bound, f.commit());
        for (int pgno : f.pgnos()) {
            if (pgno < 1 || pgno > bound || pgno > owners.length) {
                continue; // above this file's commit or cut off by a newer, smaller one
            }
            if (owners[pgno - 1] == NONE) {
                owners[pgno - 1] = file;
                owned[file]++;
            }
        }
    }

    /** The file to claim next (-1 once all are claimed). */
    int next() {
        return next;
    }

    /** The database size in pages after the last file. */
    int pageCount() {
        return owners.length;
    }

    /** True if file {@code file} (its index in the plan) writes page {@code pgno}. */
    boolean writes(int file, int pgno) {
        return pgno >= 1 && pgno <= owners.length && owners[pgno - 1] == file;
    }

    /** True if some file writes page {@code pgno}; false for pages that stay zeros. */
    boolean isOwned(int pgno) {
        return owners[pgno - 1] != NONE;
    }

    /** How many pages file {@code file} writes (0: it is read and verified only). */
    int pagesWrittenBy(int file) {
        return owned[file];
    }
}
