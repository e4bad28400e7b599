package dev.proxykit.api;

import java.util.Objects;

/**
 * One failure of an exchange, as given to an {@link ErrorClassifier}: where it happened, what the proxy recognised,
 * and the underlying exception. Immutable.
 */
public final class ProxyError {

    private final Phase phase;
    private final FailureKind kind;
    private final Throwable cause;
    private final boolean responseStarted;

    /**
     * @param phase           where it happened
     * @param kind            what the proxy recognised
     * @param cause           the underlying exception, or {@code null} when there is none (no live upstream, say)
     * @param responseStarted whether the response head had already been sent to the client
     */
    public ProxyError(Phase phase, FailureKind kind, Throwable cause, boolean responseStarted) {
        this.phase = Objects.requireNonNull(phase, "phase");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.cause = cause;
        this.responseStarted = responseStarted;
    }

    /** Where in the exchange it happened. */
    public Phase phase() {
        return phase;
    }

    /** What the proxy recognised. */
    public FailureKind kind() {
        return kind;
    }

    /** The underlying exception, or {@code null}. Its type may belong to the engine; do not depend on it. */
    public Throwable cause() {
        return cause;
    }

    /**
     * Whether the response head had already been sent to the client. If so the client already has its status (which
     * the access log keeps, with this failure's reason and phase), and the client connection is closed so that a
     * truncated body is never taken as complete; the status decided here then only appears in the error log.
     */
    public boolean responseStarted() {
        return responseStarted;
    }

    @Override
    public String toString() {
        return "ProxyError[" + phase + ", " + kind + (cause == null ? "" : ", " + cause) + "]";
    }
}
