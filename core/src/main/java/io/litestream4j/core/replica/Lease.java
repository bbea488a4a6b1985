package io.litestream4j.core.replica;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;

/**
 * The content of a replica's lease object, {@code lock.json}, as Litestream writes it:
 * {@code {"generation":3,"expires_at":"2026-11-29T21:00:00.5Z","owner":"host:1234"}}. The
 * generation counts take-overs (a renewal keeps it); {@code expires_at} is RFC 3339 with
 * nanoseconds (Litestream writes its local offset, so any offset is read); the owner is
 * {@code hostname:pid}. Unknown fields are ignored, as Go's decoder ignores them. We add one,
 * {@code process} ({@link LocalProcess}), by which a replicator restarted on the same machine
 * sees that the holder is gone; Litestream ignores it.
 */
public record Lease(long generation, Instant expiresAt, String owner, String process) {
    public Lease {
        if (expiresAt == null) {
            throw new IllegalArgumentException("lease: expires_at is required");
        }
        owner = owner == null ? "" : owner;
        process = process == null ? "" : process;
    }

    public Lease(long generation, Instant expiresAt, String owner) {
        this(generation, expiresAt, owner, "");
    }

    /** Whether the lease is over at {@code now}. */
    public boolean expired(Instant now) {
        return !now.isBefore(expiresAt);
    }

    public byte[] toJson() {
        return "{\"generation\":%d,\"expires_at\":\"%s\",\"owner\":\"%s\"%s}"
                .formatted(generation, DateTimeFormatter.ISO_INSTANT.format(expiresAt), escape(owner),
                        process.isEmpty() ? "" : ",\"process\":\"" + escape(process) + "\"")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Reads a lease object; {@code where} names it in errors. */
    public static Lease parse(byte[] json, String where) throws LeaseFormatException {
        Map<String, Object> fields = new FlatJson(new String(json, StandardCharsets.UTF_8), where).object();
        if (!(fields.get("expires_at") instanceof String expires)) {
            throw new LeaseFormatException(where + ": no expires_at string in " + preview(json));
        }
        Instant expiresAt;
        try {
            expiresAt = OffsetDateTime.parse(expires).toInstant();
        } catch (DateTimeParseException e) {
            throw new LeaseFormatException(where + ": expires_at " + expires + " is not an RFC 3339 time");
        }
        long generation = fields.get("generation") instanceof Number n ? n.longValue() : 0;
        String owner = fields.get("owner") instanceof String s ? s : "";
        String process = fields.get("process") instanceof String s ? s : "";
        return new Lease(generation, expiresAt, owner, process);
    }

    /** The owner name Litestream uses: {@code hostname:pid}. */
    public static String defaultOwner() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "");
        }
        long pid = ProcessHandle.current().pid();
        return host.isEmpty() ? "pid-" + pid : host + ":" + pid;
    }

    private static String preview(byte[] json) {
        String s = new String(json, StandardCharsets.UTF_8);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u%04x".formatted((int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** A lease object that is not the JSON we expect. */
    public static final class LeaseFormatException extends java.io.IOException {
        LeaseFormatException(String message) {
            super(message);
        }
    }

    /** Reads one JSON object of scalar values (strings, numbers, booleans, null): all a lease holds. */
    private static final class FlatJson {
        private final String s;
        private final String where;
        private int i;

        FlatJson(String s, String where) {
            this.s = s;
            this.where = where;
        }

        Map<String, Object> object() throws LeaseFormatException {
            Map<String, Object> out = new HashMap<>();
            expect('{');
            if (peek() == '}') {
                i++;
            } else {
                while (true) {
                    String key = string();
                    expect(':');
                    out.put(key, value());
                    char c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw error("want , or } at offset " + (i - 1));
                    }
                }
            }
            if (peek() != 0) {
                throw error("unexpected data after the object at offset " + i);
            }
            return out;
        }

        private Object value() throws LeaseFormatException {
            char c = peek();
            if (c == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && ",} \t\r\n".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String word = s.substring(start, i);
            return switch (word) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                case "null" -> null;
                default -> {
                    try {
                        yield word.contains(".") || word.contains("e") || word.contains("E") ? (Object) Double.parseDouble(word) : (Object) Long.parseLong(word);
                    } catch (NumberFormatException e) {
                        throw error("not a JSON value at offset " + start + ": " + word);
                    }
                }
            };
        }

        private String string() throws LeaseFormatException {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= s.length()) {
                    break;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("short \\u escape at offset " + i);
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape at offset " + i);
                        }
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
            throw error("unterminated string");
        }

        private void expect(char want) throws LeaseFormatException {
            char c = next();
            if (c != want) {
                throw error("want " + want + " at offset " + Math.max(0, i - 1));
            }
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private char peek() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i < s.length() ? s.charAt(i) : 0;
        }

        private LeaseFormatException error(String what) {
            return new LeaseFormatException(where + ": not a lease object (" + what + ")");
        }
    }
}
