package io.litestream4j.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an {@code -exec} command line into words the way a POSIX shell would, without running a
 * shell: blanks separate words, single quotes keep everything literally, double quotes keep
 * blanks and let a backslash escape {@code " \ $ `}, a backslash outside quotes escapes the next
 * character. No variables, globs or pipes: for those, exec {@code sh -c '...'}.
 */
final class ShellWords {
    private ShellWords() {}

    static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw unclosed(line, '\'', i);
                }
                word.append(line, i + 1, end);
                i = end;
                inWord = true;
            } else if (c == '"') {
                i = doubleQuoted(line, i, word);
                inWord = true;
            } else if (c == '\\' && i + 1 < line.length()) {
                word.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        if (words.isEmpty()) {
            throw new IllegalArgumentException("-exec: the command is empty");
        }
        return words;
    }

    /** Appends the double-quoted text starting at {@code start}; returns the index of the closing quote. */
    private static int doubleQuoted(String line, int start, StringBuilder word) {
        for (int i = start + 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                c = line.charAt(++i);
            }
            word.append(c);
        }
        throw unclosed(line, '"', start);
    }

    private static IllegalArgumentException unclosed(String line, char quote, int at) {
        return new IllegalArgumentException("-exec \"%s\": the %c at position %d is never closed".formatted(line, quote, at + 1));
    }
}
