package dev.proxykit.runtime;

import com.typesafe.config.ConfigException;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.ProxyEngine;
import dev.proxykit.netty.Route;
import dev.proxykit.netty.UpstreamTls;
import dev.proxykit.runtime.config.PluginSpec;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.config.RouteSettings;
import dev.proxykit.runtime.config.TlsSettings;
import dev.proxykit.runtime.plugin.PluginRegistry;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds every route of a configuration: its plugin instances (through the registry), its upstream TLS context,
 * and the engine's {@link Route}. Collects every problem instead of stopping at the first, so {@code --check} and
 * start-up report them all. Runs at start-up, off the event loops.
 *
 * <p>Global access loggers and classifiers are built once and shared by the routes that inherit them.
 */
final class RouteAssembler {

    /** What assembling produced. */
    record Assembly(List<Route> routes, ErrorClassifier defaultClassifier, AccessLogger defaultAccessLogger,
                    List<AccessLogger> accessLoggers) {

        /** Closes every access logger (once each). */
        void closeLoggers() {
            for (AccessLogger l : accessLoggers) {
                try {
                    l.close();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(RouteAssembler.class).warn("access logger failed to close", e);
                }
            }
        }
    }

    private final ProxySettings settings;
    private final PluginRegistry registry;
    private final List<String> problems = new ArrayList<>();
    private final Map<PluginSpec, AccessLogger> loggers = new LinkedHashMap<>();
    private final Map<PluginSpec, ErrorClassifier> classifiers = new HashMap<>();
    /** Specs that failed to build, reported once: a global one is not built and reported again for every route. */
    private final Set<PluginSpec> failed = new HashSet<>();
    private final Map<TlsSettings, SslContext> tlsContexts = new HashMap<>();

    private RouteAssembler(ProxySettings settings, PluginRegistry registry) {
        this.settings = settings;
        this.registry = registry;
    }

    /**
     * Assembles everything.
     *
     * @throws StartupException listing every problem, after closing whatever was already built
     */
    static Assembly assemble(ProxySettings settings, PluginRegistry registry) throws StartupException {
        RouteAssembler a = new RouteAssembler(settings, registry);
        ErrorClassifier defaultClassifier = a.classifier(settings.errorClassifier(), null);
        AccessLogger defaultLogger = a.logger(settings.accessLog(), null);
        List<Route> routes = new ArrayList<>();
        for (RouteSettings rs : settings.routes()) {
            Route r = a.route(rs);
            if (r != null) {
                routes.add(r);
            }
        }
        Assembly assembly = new Assembly(routes, defaultClassifier, defaultLogger, List.copyOf(a.loggers.values()));
        if (!a.problems.isEmpty()) {
            assembly.closeLoggers();
            throw new StartupException(a.problems, null);
        }
        return assembly;
    }

    private Route route(RouteSettings rs) {
        int before = problems.size();
        UpstreamSelector selector = null;
        try {
            selector = registry.createSelector(rs.selector(), rs.name(), rs.upstreams());
        } catch (ConfigException e) {
            problems.add(e.getMessage());
        }
        List<Director> directors = new ArrayList<>();
        for (PluginSpec spec : rs.directors()) {
            try {
                directors.add(registry.createDirector(spec, rs.name(), rs.upstreams()));
            } catch (ConfigException e) {
                problems.add(e.getMessage());
            }
        }
        ErrorClassifier classifier = classifier(rs.errorClassifier(), rs.name());
        AccessLogger logger = logger(rs.accessLog(), rs.name());
        SslContext tls = null;
        if (rs.upstreams().stream().anyMatch(Upstream::isSecure)) {
            tls = tlsContexts.get(rs.tls());
            if (tls == null) {
                try {
                    tls = UpstreamTls.clientContext(rs.tls(), rs.name());
                    tlsContexts.put(rs.tls(), tls);
                } catch (IOException e) {
                    problems.add(where(rs) + ": route " + rs.name() + ": tls.ca-file: " + e.getMessage()
                            + " (expected: a readable PEM file of CA certificates)");
                }
            }
        }
        if (problems.size() != before || classifier == null || logger == null) {
            return null;
        }
        try {
            return ProxyEngine.newRoute(rs, selector, directors, classifier, logger, tls);
        } catch (RuntimeException e) {
            problems.add(where(rs) + ": route " + rs.name() + ": " + e.getMessage());
            return null;
        }
    }

    private ErrorClassifier classifier(PluginSpec spec, String route) {
        ErrorClassifier c = classifiers.get(spec);
        if (c == null && !failed.contains(spec)) {
            try {
                c = registry.createErrorClassifier(spec, route);
                classifiers.put(spec, c);
            } catch (ConfigException e) {
                problems.add(e.getMessage());
                failed.add(spec);
            }
        }
        return c;
    }

    private AccessLogger logger(PluginSpec spec, String route) {
        AccessLogger l = loggers.get(spec);
        if (l == null && !failed.contains(spec)) {
            try {
                l = registry.createAccessLogger(spec, route);
                loggers.put(spec, l);
            } catch (ConfigException e) {
                problems.add(e.getMessage());
                failed.add(spec);
            }
        }
        return l;
    }

    private static String where(RouteSettings rs) {
        return rs.origin() == null ? "<config>" : rs.origin().description();
    }
}
