package dev.proxykit.api;

/**
 * Builds {@link AccessLogger}s. Listed in {@code META-INF/services/dev.proxykit.api.AccessLoggerFactory} and chosen
 * by {@code access-log = NAME} (or a block {@code { type = NAME, ... }}) globally or per route.
 */
public interface AccessLoggerFactory extends PluginFactory {

    /**
     * Builds a logger from its configuration block. Called at start-up or reload, never on an event loop: may
     * block (to open a file, say), must validate.
     *
     * @return a thread-safe logger, never {@code null}
     */
    AccessLogger create(PluginContext context);
}
