package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code random} selector: a random choice among the live upstreams, like Caddy's {@code random} but
 * weighted (upstream {@code i} with probability {@code weight(i) / sum(weights)}), O(1) by Vose's alias method. No
 * settings.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class RandomSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "random";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public RandomSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Weighted random choice among the live upstreams (O(1), alias method)";
    }

    /**
     * Builds the selector. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for any setting (it has none)
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, Set.of());
        return new RandomSelector();
    }
}
