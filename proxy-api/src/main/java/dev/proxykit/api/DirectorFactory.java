package dev.proxykit.api;

/**
 * Builds {@link Director}s. Listed in {@code META-INF/services/dev.proxykit.api.DirectorFactory} and referred to
 * from configuration by {@link #name()}, for example {@code directors = [single-host, { type = host-rewrite,
 * host = "backend.example.com" }]}.
 */
public interface DirectorFactory extends PluginFactory {

    /**
     * Builds the director for one route from its configuration block. Called at start-up or reload, never on an
     * event loop: it may block, and it must validate its settings, throwing
     * {@link com.typesafe.config.ConfigException} (see {@link PluginContext#invalid(String, String)}) for a bad one.
     *
     * @return a thread-safe director, never {@code null}
     */
    Director create(PluginContext context);
}
