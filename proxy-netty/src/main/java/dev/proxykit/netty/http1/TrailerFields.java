package dev.proxykit.netty.http1;

import java.util.Locale;
import java.util.Set;

/**
 * The trailer fields a proxy must not pass on (RFC 9110 6.5.1): a trailer is sent after the checks and rewrites the
 * header section went through, so a next hop that merges trailers into its headers would believe a {@code Host},
 * {@code Content-Length} or {@code Authorization} nobody checked. Dropped in both directions: framing, routing,
 * hop-by-hop, authentication and cookies, request modifiers, response control, content processing, and the
 * proxy's own forwarding fields. Other trailers (checksums, {@code grpc-status}, timings) pass unchanged.
 */
final class TrailerFields {

    private static final Set<String> FORBIDDEN = Set.of(
            // framing and routing
            "content-length", "transfer-encoding", "trailer", "host",
            // hop by hop
            "connection", "keep-alive", "proxy-connection", "te", "upgrade", "http2-settings",
            "proxy-authenticate", "proxy-authorization", "proxy-authentication-info",
            // authentication and state
            "authorization", "www-authenticate", "authentication-info", "cookie", "set-cookie",
            // request modifiers
            "expect", "max-forwards", "range", "if-match", "if-none-match", "if-modified-since",
            "if-unmodified-since", "if-range", "cache-control", "pragma",
            // response control
            "age", "expires", "location", "retry-after", "vary",
            // how to process the content
            "content-encoding", "content-type", "content-range",
            // the proxy's own
            "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via");

    private TrailerFields() {
    }

    /** Removes the forbidden fields of {@code trailers}, in place. */
    static void removeForbidden(HeaderBlock trailers) {
        for (int i = trailers.size() - 1; i >= 0; i--) {
            if (FORBIDDEN.contains(trailers.name(i).toLowerCase(Locale.ROOT))) {
                trailers.removeAt(i);
            }
        }
    }
}
