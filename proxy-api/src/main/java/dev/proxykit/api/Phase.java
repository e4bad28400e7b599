package dev.proxykit.api;

/** Where in an exchange a failure happened. */
public enum Phase {
    /** Reading the request (head or body) from the client. */
    CLIENT_READ,
    /** Choosing an upstream for the request. */
    SELECT_UPSTREAM,
    /** Opening the connection to the upstream (TCP and TLS). */
    CONNECT,
    /** Writing the request head or body upstream. */
    WRITE_REQUEST,
    /** Waiting for the upstream's response head. */
    AWAIT_RESPONSE_HEAD,
    /** Relaying the response body to the client. */
    STREAM_RESPONSE,
    /** Relaying bytes after {@code 101 Switching Protocols}. */
    TUNNEL
}
