package dev.proxykit.runtime.config;

import java.time.Duration;

/**
 * {@code timeouts { ... }} under {@code proxykit}, overridable key by key in a route. All positive.
 *
 * @param connect        to open an upstream connection, TCP and TLS ({@code connect}, nginx proxy_connect_timeout)
 * @param responseHeader from the request fully sent to the response head received ({@code response-header})
 * @param idle           no byte moving in either direction, on a client or upstream connection ({@code idle})
 * @param clientHeader   to receive a whole request head from the client ({@code client-header}, nginx
 *                       client_header_timeout)
 */
public record Timeouts(Duration connect, Duration responseHeader, Duration idle, Duration clientHeader) {
}
