package dev.proxykit.plugins;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.PluginContext;
import java.time.ZoneId;

/**
 * The {@code json} access logger: one JSON object per exchange, on one line, with the client, request,
 * status, upstream, durations and failure (see {@link JsonFormat}), logged at INFO to the SLF4J logger named by the
 * {@code logger} setting (default {@code proxykit.access}). Times are in the JVM's default time zone.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class JsonAccessLoggerFactory implements AccessLoggerFactory {

    static final String NAME = "json";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public JsonAccessLoggerFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "One JSON object per line (ASCII, nulls for absent values), at INFO to an SLF4J logger";
    }

    /**
     * Validates {@code logger} and builds the access logger. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a blank logger name
     */
    @Override
    public AccessLogger create(PluginContext context) {
        return LineAccessLogger.create(context, new JsonFormat(ZoneId.systemDefault()));
    }
}
