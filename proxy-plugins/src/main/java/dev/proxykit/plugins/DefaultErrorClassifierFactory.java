package dev.proxykit.plugins;

import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.api.PluginContext;
import java.util.Set;

/**
 * The {@code default} error classifier: {@link ErrorClassifier#standard()} (499 client closed, 502 refused or
 * reset, 503 no live upstream, 504 timeouts). No settings.
 *
 * <p>Instantiated by {@link java.util.ServiceLoader}; stateless and thread-safe.
 */
public final class DefaultErrorClassifierFactory implements ErrorClassifierFactory {

    static final String NAME = "default";

    /** For {@link java.util.ServiceLoader}; does nothing. */
    public DefaultErrorClassifierFactory() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "The standard mapping: 499 client closed, 502 refused/reset/invalid, 503 no live upstream, 504 timeouts";
    }

    /**
     * Returns the standard classifier. Called at start-up, never on an event loop.
     *
     * @throws com.typesafe.config.ConfigException for any setting (it has none)
     */
    @Override
    public ErrorClassifier create(PluginContext context) {
        Settings.checkKeys(context, Set.of());
        return ErrorClassifier.standard();
    }
}
