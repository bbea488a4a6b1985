package io.litestream4j.replica.nats;

import io.litestream4j.core.replica.CodedFailure;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.io.Serial;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** Turns jnats' failures into {@link IOException}s that name the replica and carry a metrics code. */
final class NatsErrors {
    private NatsErrors() {}

    /** A failed request: its message names the replica, what was being done and the cause; never a credential. */
    static final class NatsFailure extends IOException implements CodedFailure {
        @Serial
        private static final long serialVersionUID = 1L;
        private final String code;

        NatsFailure(String message, String code, Throwable cause) {
            super(message, cause);
            this.code = code;
        }

        @Override
        public String errorCode() {
            return code;
        }
    }

    /** {@code doing} failed with {@code cause}. */
    static IOException io(String doing, NatsSettings settings, Throwable cause) {
        return new NatsFailure("nats replica %s: %s: %s".formatted(settings.describe(), doing, describe(cause)), code(cause), cause);
    }

    /** The cause in words: JetStream's error code and description, else the exception's message. */
    static String describe(Throwable e) {
        if (e instanceof JetStreamApiException api) {
            return "JetStream error %d: %s".formatted(api.getApiErrorCode(), api.getErrorDescription());
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        Throwable cause = e.getCause();
        return cause != null && cause != e && cause.getMessage() != null && !message.contains(cause.getMessage())
                ? message + ": " + cause.getMessage()
                : message;
    }

    /** A metrics code: {@code Timeout}, {@code AccessDenied}, {@code NotFound}, {@code JetStream<code>}, else {@code IOError}. */
    static String code(Throwable e) {
        if (e instanceof JetStreamApiException api) {
            return api.getApiErrorCode() == 10037 ? "NotFound" : "JetStream" + api.getApiErrorCode();
        }
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (e instanceof TimeoutException || message.contains("timeout") || message.contains("timed out")) {
            return "Timeout";
        }
        if (message.contains("authorization") || message.contains("authentication")) {
            return "AccessDenied";
        }
        return "IOError";
    }
}
