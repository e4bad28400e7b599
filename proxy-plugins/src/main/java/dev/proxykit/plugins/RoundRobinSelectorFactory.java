package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code round-robin} selector: strict rotation over the live upstreams in configured order, with one atomic
 * counter per route that survives snapshot changes. Weights are ignored (use {@code weighted-round-robin}).
 *
 * <p>Settings ({@code proxykit.plugins.round-robin} in {@code reference.conf}): {@code rotation}, {@code global}
 * (the default: the k-th request of the route goes to upstream k mod n, whichever event loop serves it) or
 * {@code per-event-loop} (each event loop rotates on its own, as Envoy's worker-local load balancers do: no cache
 * line shared between cores; see {@link Sequence}).
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class RoundRobinSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "round-robin";

    private static final Set<String> KEYS = Set.of(Settings.ROTATION);

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
     * @throws com.typesafe.config.ConfigException for an unknown key or a bad {@code rotation}
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, KEYS);
        return new RoundRobinSelector(Settings.rotation(context));
    }
}
