package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code round-robin} selector: strict rotation over the live upstreams in configured order, with one atomic
 * counter per route that survives snapshot changes. Weights are ignored. No settings.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class RoundRobinSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "round-robin";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public RoundRobinSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Strict rotation over the live upstreams in configured order (lock-free, weights ignored)";
    }

    /**
     * Builds a selector with its own counter. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for any setting (it has none)
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, Set.of());
        return new RoundRobinSelector();
    }
}
