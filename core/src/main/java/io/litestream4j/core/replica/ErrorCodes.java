package io.litestream4j.core.replica;

import io.litestream4j.ltx.LtxFormatException;
import java.io.FileNotFoundException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code code} label of a failed replica request: a short name from a small fixed set that
 * dashboards and alerts can rely on, never a Java class name or a message (which may name
 * anything). An object store's own error code ({@code SlowDown}, {@code AccessDenied},
 * {@code NoSuchBucket}: what the S3 client puts before "(HTTP nnn)") is kept as the store gave it.
 *
 * <table>
 * <tr><td>{@code NotFound}</td><td>the file or object does not exist</td></tr>
 * <tr><td>{@code AccessDenied}</td><td>permission denied, HTTP 403</td></tr>
 * <tr><td>{@code NoSpace}</td><td>the disk (or quota) is full</td></tr>
 * <tr><td>{@code Timeout}</td><td>no answer in time</td></tr>
 * <tr><td>{@code Network}</td><td>connection refused or reset, unknown host</td></tr>
 * <tr><td>{@code Interrupted}</td><td>the request was cancelled (a stop)</td></tr>
 * <tr><td>{@code Corrupt}</td><td>an LTX file failed its checks</td></tr>
 * <tr><td>a backend's own</td><td>a {@link CodedFailure}'s code, e.g. {@code BadDigest}: an upload the store did not receive intact</td></tr>
 * <tr><td>{@code HTTP<status>}</td><td>another HTTP error without a store code</td></tr>
 * <tr><td>{@code IOError}, {@code Internal}</td><td>any other I/O failure; a bug</td></tr>
 * </table>
 */
public final class ErrorCodes {
    private static final Pattern STORE_CODE = Pattern.compile("(?:([A-Za-z][A-Za-z0-9]*) )?\\(HTTP (\\d{3})\\)");

    private ErrorCodes() {}

    public static String of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String code = ofOne(t);
            if (code != null) {
                return code;
            }
        }
        return failure instanceof java.io.IOException ? "IOError" : "Internal";
    }

    private static String ofOne(Throwable t) {
        String message = t.getMessage() != null ? t.getMessage() : "";
        return switch (t) {
            case CodedFailure e -> e.errorCode();
            case NoSuchFileException e -> "NotFound";
            case FileNotFoundException e -> "NotFound";
            case AccessDeniedException e -> "AccessDenied";
            case SocketTimeoutException e -> "Timeout";
            case HttpTimeoutException e -> "Timeout";
            case TimeoutException e -> "Timeout";
            case UnknownHostException e -> "Network";
            case SocketException e -> "Network";
            case ClosedByInterruptException e -> "Interrupted";
            case InterruptedIOException e -> "Interrupted";
            case LtxFormatException e -> "Corrupt";
            default -> {
                if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
                    yield "NoSpace";
                }
                Matcher m = STORE_CODE.matcher(message);
                if (m.find()) {
                    String code = m.group(1);
                    yield code != null && !code.equals("error") ? code : "403".equals(m.group(2)) ? "AccessDenied" : "HTTP" + m.group(2);
                }
                yield null;
            }
        };
    }
}
