package dev.proxykit.api;

import java.util.Objects;

/**
 * The verdict of an {@link ErrorClassifier}: the status the client gets (or the access log records) and a short
 * reason for logs and metrics, such as {@code upstream_refused}. Immutable.
 */
public final class Classification {

    private final int status;
    private final String reason;

    /**
     * @param status an HTTP status from 400 to 599, or 499 for a client that went away
     * @param reason a short, stable, log-friendly reason, such as {@code client_closed}
     * @throws IllegalArgumentException if status is outside 400-599 or the reason is empty
     */
    public Classification(int status, String reason) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 400 to 599)");
        }
        Objects.requireNonNull(reason, "reason");
        if (reason.isEmpty()) {
            throw new IllegalArgumentException("reason: \"\" (expected: a non-empty word)");
        }
        this.status = status;
        this.reason = reason;
    }

    /** The status: 499 for a client that went away, 502/503/504 for upstream failures, 4xx for bad requests. */
    public int status() {
        return status;
    }

    /** A short reason such as {@code upstream_refused}. */
    public String reason() {
        return reason;
    }

    /** Whether the client caused it (a 4xx status, 499 included). */
    public boolean isClientFault() {
        return status < 500;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Classification && ((Classification) o).status == status
                && ((Classification) o).reason.equals(reason);
    }

    @Override
    public int hashCode() {
        return status * 31 + reason.hashCode();
    }

    @Override
    public String toString() {
        return status + " " + reason;
    }
}
