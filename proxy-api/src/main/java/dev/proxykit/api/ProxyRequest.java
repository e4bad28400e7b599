package dev.proxykit.api;

/**
 * The request head that will be sent upstream, which {@link Director}s rewrite.
 *
 * <p>When directors run, the proxy has already chosen the {@link #upstream()}, removed hop-by-hop headers and set
 * the {@code X-Forwarded-*} headers. What a director leaves here is what the upstream receives, byte for byte: the
 * method, the raw request target, and the headers in their order and case.
 *
 * <p><b>Host.</b> The authority sent upstream <em>is</em> the {@code Host} header: {@link #setAuthority(String)}
 * and {@code headers().set("Host", ...)} do the same thing, and there is no second place that silently wins. By
 * default the client's {@code Host} is kept.
 *
 * <p><b>Threads.</b> Called on the exchange's event loop; valid only during {@link Director#direct(ProxyRequest)}.
 * Not thread-safe. If the exchange is retried on another upstream, directors run again on a fresh copy.
 */
public interface ProxyRequest {

    /** The request as the client sent it. */
    RequestInfo inbound();

    /** The upstream this request is being sent to. */
    Upstream upstream();

    /** The method to send. */
    String method();

    /**
     * Sets the method to send.
     *
     * @throws IllegalArgumentException if {@code method} is not a token
     */
    void setMethod(String method);

    /** The request target to send, one {@code char} per octet, initially exactly as the client sent it. */
    String target();

    /**
     * Sets the request target to send. It is written as given: the caller encodes what needs encoding.
     *
     * @throws IllegalArgumentException if {@code target} is empty or contains a space, CR, LF, NUL or a char above 0xFF
     */
    void setTarget(String target);

    /** The path part of {@link #target()}: everything before the first {@code ?}. */
    default String path() {
        String t = target();
        int q = t.indexOf('?');
        return q < 0 ? t : t.substring(0, q);
    }

    /** The query part of {@link #target()} without the {@code ?}, or {@code ""} when there is none. */
    default String query() {
        String t = target();
        int q = t.indexOf('?');
        return q < 0 ? "" : t.substring(q + 1);
    }

    /** The authority to send: the value of the outbound {@code Host} header, or {@code null} when there is none. */
    default String authority() {
        return headers().get("Host");
    }

    /**
     * Sets the authority to send: replaces the outbound {@code Host} header, keeping its position and the case of
     * its name.
     */
    default void setAuthority(String authority) {
        headers().set("Host", authority);
    }

    /** The outbound headers, mutable. */
    Headers headers();
}
