package dev.proxykit.netty.http1;

/** How a message's body is delimited on the wire (RFC 9112 section 6). */
public enum BodyKind {
    /** No body at all (no Content-Length and no Transfer-Encoding in a request; HEAD, 1xx, 204, 304 responses). */
    NONE,
    /** {@code Content-Length} bytes (possibly zero). */
    LENGTH,
    /** {@code Transfer-Encoding: chunked}. */
    CHUNKED,
    /** Until the connection closes (responses only). */
    UNTIL_CLOSE
}
