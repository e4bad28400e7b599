package dev.proxykit.api;

import java.net.InetSocketAddress;

/**
 * A read-only view of the request as the client sent it, before any director ran.
 *
 * <p>Given to {@link UpstreamSelector.Picker#pick(RequestInfo)} and available to directors through
 * {@link ProxyRequest#inbound()}. Hop-by-hop headers are still present here.
 *
 * <p><b>Threads.</b> Valid only during the call that received it, on the event loop that serves the exchange; do
 * not keep it or hand it to another thread. Reading it never blocks and does not allocate beyond the strings it
 * returns.
 */
public interface RequestInfo {

    /** The method token as received, for example {@code GET}. */
    String method();

    /**
     * The request target exactly as received, one {@code char} per octet: no path cleaning, no slash merging, no
     * decoding ({@code //a//b?x=1;y} stays {@code //a//b?x=1;y}). For an absolute-form request this is the
     * origin-form the proxy derived from it.
     */
    String target();

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

    /** The protocol of the request, for example {@code HTTP/1.1}. */
    String protocol();

    /** The headers as received (names in their received case, in order). Read-only: mutators throw. */
    Headers headers();

    /** The authority the client addressed: its {@code Host} header, or {@code null} when absent. */
    default String authority() {
        return headers().get("Host");
    }

    /** The scheme the client used to reach the proxy: {@code http} or {@code https}. */
    String scheme();

    /** The client's address (the peer of the inbound connection). */
    InetSocketAddress clientAddress();

    /** The name of the route that matched. */
    String route();
}
