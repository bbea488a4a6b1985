package io.litestream4j.replica.webdav;

import io.litestream4j.core.replica.CodedFailure;
import java.io.IOException;

/** A WebDAV server refused a request: the message names the replica, the request, the status and what it usually means. */
final class WebDavException extends IOException implements CodedFailure {
    private static final long serialVersionUID = 1L;

    private final int status;

    WebDavException(String location, String request, int status, String detail) {
        super("webdav replica %s: %s: HTTP %d%s%s".formatted(location, request, status, meaning(status), detail == null || detail.isBlank() ? "" : ": " + detail));
        this.status = status;
    }

    int status() {
        return status;
    }

    private static String meaning(int status) {
        return switch (status) {
            case 401 -> " Unauthorized: check webdav-username and webdav-password";
            case 403 -> " Forbidden: the server does not let this user do that here";
            case 404 -> " Not Found";
            case 405 -> " Method Not Allowed";
            case 409 -> " Conflict: a parent folder is missing or is not a folder";
            case 412 -> " Precondition Failed";
            case 423 -> " Locked";
            case 507 -> " Insufficient Storage: the server is full";
            default -> status >= 500 ? " server error" : "";
        };
    }

    @Override
    public String errorCode() {
        return switch (status) {
            case 401 -> "Unauthorized";
            case 403 -> "AccessDenied";
            case 404 -> "NotFound";
            case 409 -> "Conflict";
            case 507 -> "NoSpace";
            default -> "HTTP" + status;
        };
    }
}
