package dev.proxykit.runtime.config;

import java.time.Duration;

/**
 * {@code upstream-keepalive { ... }} under {@code proxykit}: the per-event-loop pool of idle upstream connections.
 *
 * @param maxIdlePerHost idle connections kept per upstream and event loop; 0 disables keep-alive upstream
 *                       ({@code max-idle-per-host})
 * @param idleTimeout    an idle pooled connection is closed after this long ({@code idle-timeout})
 */
public record PoolSettings(int maxIdlePerHost, Duration idleTimeout) {
}
