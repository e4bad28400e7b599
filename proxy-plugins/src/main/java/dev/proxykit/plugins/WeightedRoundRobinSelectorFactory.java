package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code weighted-round-robin} selector: nginx's smooth weighted round-robin (the default of an nginx
 * {@code upstream} block), precomputed per snapshot so that a pick is an array read (see
 * {@link WeightedRoundRobinSelector}). Weights 5, 1, 1 give {@code a a b a c a a}.
 *
 * <p>Settings ({@code proxykit.plugins.weighted-round-robin} in {@code reference.conf}): {@code rotation}, as for
 * {@code round-robin}: {@code global} (default) or {@code per-event-loop}.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class WeightedRoundRobinSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "weighted-round-robin";

    private static final Set<String> KEYS = Set.of(Settings.ROTATION);

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public WeightedRoundRobinSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "nginx's smooth weighted round-robin (weights 5,1,1 give a a b a c a a), precomputed per snapshot";
    }

    /**
     * Builds a selector with its own counter. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for an unknown key or a bad {@code rotation}
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        return new WeightedRoundRobinSelector(Settings.rotation(context));
    }
}
