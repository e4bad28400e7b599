package dev.proxykit.plugins;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.PluginContext;
import java.time.ZoneId;

/**
 * The {@code combined} access logger: one line per exchange in nginx's {@code combined} format plus upstream,
 * route, durations and attempts (see {@link CombinedFormat}), logged at INFO to the SLF4J logger named by the
 * {@code logger} setting (default {@code proxykit.access}). Times are in the JVM's default time zone.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class CombinedAccessLoggerFactory implements AccessLoggerFactory {

    static final String NAME = "combined";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public CombinedAccessLoggerFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "nginx 'combined' lines plus upstream, route and timings, at INFO to an SLF4J logger";
    }

    /**
     * Validates {@code logger} and builds the access logger. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a blank logger name
     */
    @Override
    public AccessLogger create(PluginContext context) {
        return LineAccessLogger.create(context, new CombinedFormat(ZoneId.systemDefault()));
    }
}
