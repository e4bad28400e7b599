package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code least-request} selector: the power of two random choices on requests in flight, weight-aware (Envoy's
 * default {@code LEAST_REQUEST}; see {@link LeastRequestSelector}). In-flight counts come from the engine's
 * {@link dev.proxykit.api.UpstreamSelector.Picker#onComplete onComplete} calls.
 *
 * <p>Settings ({@code proxykit.plugins.least-request} in {@code reference.conf}): {@code choice-count}, how many
 * random candidates are compared (Envoy's {@code choice_count}, 2 by default, 2 to 16).
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class LeastRequestSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "least-request";

    private static final Set<String> KEYS = Set.of("choice-count");

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public LeastRequestSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Power of two random choices on requests in flight, weight-aware (Envoy's LEAST_REQUEST)";
    }

    /**
     * Builds a selector with its own in-flight counters. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a bad {@code choice-count}
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        return new LeastRequestSelector(Settings.integer(context, "choice-count", 2, 16, "a whole number from 2 to 16"));
    }
}
