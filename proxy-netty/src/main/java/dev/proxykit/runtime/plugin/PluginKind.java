package dev.proxykit.runtime.plugin;

import dev.proxykit.api.AccessLoggerFactory;
import dev.proxykit.api.DirectorFactory;
import dev.proxykit.api.ErrorClassifierFactory;
import dev.proxykit.api.PluginFactory;
import dev.proxykit.api.UpstreamSelectorFactory;

/** The four kinds of plugin, each with its factory interface and the word used in messages. */
public enum PluginKind {
    DIRECTOR(DirectorFactory.class, "director"),
    SELECTOR(UpstreamSelectorFactory.class, "selector"),
    ERROR_CLASSIFIER(ErrorClassifierFactory.class, "error classifier"),
    ACCESS_LOGGER(AccessLoggerFactory.class, "access logger");

    private final Class<? extends PluginFactory> factoryType;
    private final String displayName;

    PluginKind(Class<? extends PluginFactory> factoryType, String displayName) {
        this.factoryType = factoryType;
        this.displayName = displayName;
    }

    public Class<? extends PluginFactory> factoryType() {
        return factoryType;
    }

    public String displayName() {
        return displayName;
    }
}
