/**
 * The proxykit plugin SPI: what plugin authors compile against.
 *
 * <p>Four kinds of plugin, each a factory found by {@link java.util.ServiceLoader} and an instance built per route
 * (or globally) from configuration:
 * <ul>
 *   <li>{@link dev.proxykit.api.Director}: rewrites the outbound request head (target, Host, headers);</li>
 *   <li>{@link dev.proxykit.api.UpstreamSelector}: the load-balancing policy;</li>
 *   <li>{@link dev.proxykit.api.ErrorClassifier}: turns failures into 499/502/503/504 and a reason;</li>
 *   <li>{@link dev.proxykit.api.AccessLogger}: receives one record per finished exchange.</li>
 * </ul>
 *
 * <p>Rules for everything in a plugin that runs per request (directors, pickers, classifiers, loggers): it runs
 * on an event loop, concurrently, so it is thread-safe and never blocks. Everything slow happens in the factory's
 * {@code create}, which runs at start-up.
 *
 * <p>This package depends on the JDK, slf4j-api and typesafe-config only.
 */
package dev.proxykit.api;
