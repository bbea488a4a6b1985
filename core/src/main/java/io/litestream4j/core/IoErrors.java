package io.litestream4j.core;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns I/O exceptions into messages that say what failed and why, not just a path. */
public final class IoErrors {
    private IoErrors() {}

    public static String describe(IOException e) {
        if (e instanceof FileSystemException fs) {
            String why = fs.getReason();
            if (why == null) {
                why = switch (fs) {
                    case NoSuchFileException x -> "no such file or directory";
                    case NotDirectoryException x -> "not a directory";
                    case AccessDeniedException x -> "permission denied";
                    case FileAlreadyExistsException x -> "already exists";
                    default -> fs.getClass().getSimpleName();
                };
            }
            return fs.getFile() + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + why;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
