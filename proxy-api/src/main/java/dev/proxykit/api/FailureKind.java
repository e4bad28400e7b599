package dev.proxykit.api;

/**
 * What went wrong, as the proxy recognised it. Together with the {@link Phase} this is what an
 * {@link ErrorClassifier} decides on; the underlying exception is in {@link ProxyError#cause()}.
 */
public enum FailureKind {
    /** The client closed or reset its connection before the exchange completed. */
    CLIENT_CLOSED,
    /** The client was too slow: it sent nothing for longer than a timeout allows. */
    CLIENT_TIMEOUT,
    /** The client sent something that is not valid HTTP (a malformed or too large request). */
    CLIENT_PROTOCOL_ERROR,
    /** The route has no live upstream. */
    NO_UPSTREAM,
    /** The upstream refused the connection or could not be reached. */
    CONNECT_REFUSED,
    /** The connection to the upstream was not established within the connect timeout. */
    CONNECT_TIMEOUT,
    /** The TLS handshake with the upstream failed (certificate, protocol). */
    TLS_FAILURE,
    /** The upstream reset or closed the connection before the response was complete. */
    UPSTREAM_CLOSED,
    /** The upstream sent no response head within the response-header timeout. */
    RESPONSE_HEADER_TIMEOUT,
    /** Nothing moved on the connection for longer than the idle timeout. */
    IDLE_TIMEOUT,
    /** The upstream sent something that is not a valid HTTP response. */
    INVALID_RESPONSE,
    /** A plugin (director, selector) threw. */
    PLUGIN_FAILURE,
    /**
     * The proxy closed the client connection because its shutdown grace period ran out before the exchange ended.
     */
    SHUTDOWN,
    /** Anything else: a bug or an unexpected I/O error. */
    INTERNAL
}
