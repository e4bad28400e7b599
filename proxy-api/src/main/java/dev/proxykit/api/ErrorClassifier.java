package dev.proxykit.api;

/**
 * Turns a failure into a status and a reason, so that logs and metrics say whose fault it was: the client
 * (499 when it went away, 4xx when it sent something invalid) or the upstream (502 refused, reset or invalid,
 * 503 none available, 504 timed out).
 *
 * <p>Every failure of every exchange goes through the route's classifier exactly once. If the response has not
 * started, the client receives the status; otherwise the client connection is closed and the status only reaches
 * the access log.
 *
 * <p><b>Threads.</b> Called on event loops, concurrently: thread-safe, non-blocking, no I/O. A custom classifier
 * can refine {@link #standard()} and delegate the rest to it.
 */
@FunctionalInterface
public interface ErrorClassifier {

    /** Classifies one failure. Must not return {@code null} and should not throw. */
    Classification classify(ProxyError error);

    /** The standard mapping, which the built-in {@code default} classifier uses. */
    static ErrorClassifier standard() {
        return StandardErrorClassifier.INSTANCE;
    }
}
