package dev.proxykit.runtime.config;

import dev.proxykit.api.Upstream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The plugins a configuration names, as far as they could be read, for a {@link PluginCheck} of a configuration that
 * has problems of its own. Immutable.
 *
 * @param pluginsDir      {@code proxykit.plugins-dir}, as {@link ProxySettings#pluginsDir()} would have it
 * @param errorClassifier {@code proxykit.error-classifier}, or {@code null} when it could not be read
 * @param accessLog       {@code proxykit.access-log}, or {@code null} when it could not be read
 * @param routes          every route that is a block, in order
 */
public record PluginUse(Path pluginsDir, PluginSpec errorClassifier, PluginSpec accessLog, List<Route> routes) {

    public PluginUse {
        routes = List.copyOf(routes);
    }

    /**
     * The plugins of one route. When any setting of the route itself is invalid, {@code name} and {@code upstreams}
     * are {@code null}: its plugins would not be built for the route that will run, so only their names can be
     * checked.
     *
     * @param name            the route's name, or {@code null} when the route has problems
     * @param upstreams       the route's upstreams, or {@code null} when the route has problems
     * @param selector        {@code selector}, or {@code null} when it could not be read
     * @param directors       the {@code directors} that could be read, in order
     * @param errorClassifier the route's own {@code error-classifier} or the global one it inherits; {@code null} when
     *                        that could not be read
     * @param accessLog       the route's own {@code access-log} or the global one it inherits; {@code null} when that
     *                        could not be read
     */
    public record Route(String name, List<Upstream> upstreams, PluginSpec selector, List<PluginSpec> directors,
                        PluginSpec errorClassifier, PluginSpec accessLog) {

        public Route {
            if ((name == null) != (upstreams == null)) {
                throw new IllegalArgumentException("name: " + name + ", upstreams: " + upstreams
                        + " (expected: both or neither)");
            }
            upstreams = upstreams == null ? null : List.copyOf(upstreams);
            directors = List.copyOf(Objects.requireNonNull(directors, "directors"));
        }

        /** Whether every setting of the route itself is valid, so that its plugins can be built as they would run. */
        public boolean buildable() {
            return upstreams != null;
        }
    }
}
