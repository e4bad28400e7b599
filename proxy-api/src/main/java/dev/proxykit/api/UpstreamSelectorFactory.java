package dev.proxykit.api;

/**
 * Builds {@link UpstreamSelector}s. Listed in {@code META-INF/services/dev.proxykit.api.UpstreamSelectorFactory}
 * and referred to from a route by {@link #name()}, for example {@code selector = round-robin}.
 */
public interface UpstreamSelectorFactory extends PluginFactory {

    /**
     * Builds the selector of one route. Called at start-up or reload, never on an event loop: it may block, and it
     * must validate its settings (throwing {@link com.typesafe.config.ConfigException}).
     *
     * @return a thread-safe selector, never {@code null}
     */
    UpstreamSelector create(PluginContext context);
}
