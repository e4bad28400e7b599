package dev.proxykit.runtime.plugin;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.runtime.config.PluginSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * The plugin factories found at start-up, by kind and name, and the one place that builds plugin instances from
 * {@link PluginSpec}s. Thread-safe after discovery; instance creation happens off the event loops.
 *
 * <p>The {@code create*} methods throw {@link com.typesafe.config.ConfigException} for a name no plugin provides
 * (listing the names that exist, with a did-you-mean), for a bad setting, and for a factory that throws (naming
 * the plugin and its JAR); the message always starts with the spec's file:line and key.
 */
public final class PluginRegistry {

    /**
     * Finds every factory on the host class path and in {@code pluginsDir} (one class loader per plugin folder or
     * JAR, parent the platform loader, sharing only {@code dev.proxykit.api}, {@code org.slf4j} and
     * {@code com.typesafe.config} with the host).
     *
     * @param pluginsDir the plugins folder, or {@code null} (or a missing folder) for the class path only
     * @param hostLoader the host's class loader, searched for factories too
     * @throws PluginException listing every discovery problem
     */
    public static PluginRegistry discover(Path pluginsDir, ClassLoader hostLoader) throws PluginException {
        throw new UnsupportedOperationException("not yet written");
    }

    /** Every plugin found, sorted by kind then name. */
    public List<PluginInfo> plugins() {
        throw new UnsupportedOperationException("not yet written");
    }

    public Director createDirector(PluginSpec spec, String route, List<Upstream> upstreams) {
        throw new UnsupportedOperationException("not yet written");
    }

    public UpstreamSelector createSelector(PluginSpec spec, String route, List<Upstream> upstreams) {
        throw new UnsupportedOperationException("not yet written");
    }

    public ErrorClassifier createErrorClassifier(PluginSpec spec, String route) {
        throw new UnsupportedOperationException("not yet written");
    }

    public AccessLogger createAccessLogger(PluginSpec spec, String route) {
        throw new UnsupportedOperationException("not yet written");
    }
}
