package dev.proxykit.plugins;

import dev.proxykit.api.PluginContext;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.Set;

/**
 * The {@code first} selector: every request goes to the first live upstream in configured order (Caddy's
 * {@code first}), so the others are backups that take over only while it is marked down (ejected after failures,
 * or failing its active health check) and hand back when it recovers. Weights are ignored. No settings.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class FirstSelectorFactory implements UpstreamSelectorFactory {

    static final String NAME = "first";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public FirstSelectorFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "The first live upstream in configured order: the others are backups (primary/backup)";
    }

    /**
     * Builds the selector. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for any setting (it has none)
     */
    @Override
    public UpstreamSelector create(PluginContext context) {
        Settings.checkKeys(context, Set.of());
        return new FirstSelector();
    }
}
