package dev.proxykit.runtime;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigOrigin;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.ProxyEngine;
import dev.proxykit.netty.Route;
import dev.proxykit.netty.UpstreamTls;
import dev.proxykit.runtime.config.PluginCheck;
import dev.proxykit.runtime.config.PluginSpec;
import dev.proxykit.runtime.config.PluginUse;
import dev.proxykit.runtime.config.Problems;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.config.RouteSettings;
import dev.proxykit.runtime.config.TlsSettings;
import dev.proxykit.runtime.plugin.PluginKind;
import dev.proxykit.runtime.plugin.PluginRegistry;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
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
 *
 * <p>{@link #check} does the plugins' part for a configuration that has problems of its own.
 */
final class RouteAssembler {

    /** What assembling produced. */
    record Assembly(List<Route> routes, ErrorClassifier defaultClassifier, AccessLogger defaultAccessLogger,
                    List<AccessLogger> accessLoggers) {

        /** Closes every access logger (once each). */
        void closeLoggers() {
            close(accessLoggers);
        }
    }

    private final PluginRegistry registry;
    private final PluginCheck.Report report;
    private int problems;
    private final Map<PluginSpec, AccessLogger> loggers = new LinkedHashMap<>();
    private final Map<PluginSpec, ErrorClassifier> classifiers = new HashMap<>();
    /** Specs that failed to build, reported once: a global one is not built and reported again for every route. */
    private final Set<PluginSpec> failed = new HashSet<>();
    private final Map<TlsSettings, SslContext> tlsContexts = new HashMap<>();

    private RouteAssembler(PluginRegistry registry, PluginCheck.Report report) {
        this.registry = registry;
        this.report = report;
    }

    /**
     * Assembles everything.
     *
     * @throws StartupException listing every problem, after closing whatever was already built
     */
    static Assembly assemble(ProxySettings settings, PluginRegistry registry) throws StartupException {
        Problems problems = new Problems(); // sorted by file and line, as the configuration's own
        RouteAssembler a = new RouteAssembler(registry, problems);
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
        if (!problems.isEmpty()) {
            assembly.closeLoggers();
            throw new StartupException(problems.lines(), null);
        }
        return assembly;
    }

    /**
     * The plugins' part of a configuration that has problems of its own (see {@link PluginCheck}): builds, as
     * start-up would, the global error classifier and access logger and the plugins of every route whose own settings
     * are all valid; of the other routes, whose name or upstreams are not what will run, only looks the plugin names
     * up. Reports every problem once, with its origin; closes the access loggers it built.
     */
    static void check(PluginUse use, PluginRegistry registry, PluginCheck.Report report) {
        RouteAssembler a = new RouteAssembler(registry, report);
        try {
            a.classifier(use.errorClassifier(), null);
            a.logger(use.accessLog(), null);
            for (PluginUse.Route route : use.routes()) {
                if (route.buildable()) {
                    a.selector(route.selector(), route.name(), route.upstreams());
                    a.directors(route.directors(), route.name(), route.upstreams());
                    a.classifier(route.errorClassifier(), route.name());
                    a.logger(route.accessLog(), route.name());
                } else {
                    a.lookUp(PluginKind.SELECTOR, route.selector());
                    route.directors().forEach(spec -> a.lookUp(PluginKind.DIRECTOR, spec));
                    a.lookUp(PluginKind.ERROR_CLASSIFIER, route.errorClassifier());
                    a.lookUp(PluginKind.ACCESS_LOGGER, route.accessLog());
                }
            }
        } finally {
            close(a.loggers.values());
        }
    }

    private static void close(Collection<AccessLogger> loggers) {
        for (AccessLogger l : loggers) {
            try {
                l.close();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(RouteAssembler.class).warn("access logger failed to close", e);
            }
        }
    }

    private Route route(RouteSettings rs) {
        int before = problems;
        UpstreamSelector selector = selector(rs.selector(), rs.name(), rs.upstreams());
        List<Director> directors = directors(rs.directors(), rs.name(), rs.upstreams());
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
                    problem(rs.origin(), where(rs) + ": route " + rs.name() + ": tls.ca-file: " + e.getMessage()
                            + " (expected: a readable PEM file of CA certificates)");
                }
            }
        }
        if (problems != before || classifier == null || logger == null) {
            return null;
        }
        try {
            return ProxyEngine.newRoute(rs, selector, directors, classifier, logger, tls);
        } catch (RuntimeException e) {
            problem(rs.origin(), where(rs) + ": route " + rs.name() + ": " + e.getMessage());
            return null;
        }
    }

    /** The route's selector, or {@code null} when it cannot be built (reported). */
    private UpstreamSelector selector(PluginSpec spec, String route, List<Upstream> upstreams) {
        try {
            return registry.createSelector(spec, route, upstreams);
        } catch (ConfigException e) {
            problem(e);
            return null;
        }
    }

    /** The route's directors that can be built, in order; the others are reported. */
    private List<Director> directors(List<PluginSpec> specs, String route, List<Upstream> upstreams) {
        List<Director> directors = new ArrayList<>();
        for (PluginSpec spec : specs) {
            try {
                directors.add(registry.createDirector(spec, route, upstreams));
            } catch (ConfigException e) {
                problem(e);
            }
        }
        return directors;
    }

    /** The classifier {@code spec} names, built once; {@code null} when it cannot be (reported once) or is null. */
    private ErrorClassifier classifier(PluginSpec spec, String route) {
        ErrorClassifier c = classifiers.get(spec);
        if (c == null && spec != null && !failed.contains(spec)) {
            try {
                c = registry.createErrorClassifier(spec, route);
                classifiers.put(spec, c);
            } catch (ConfigException e) {
                problem(e);
                failed.add(spec);
            }
        }
        return c;
    }

    /** The access logger {@code spec} names, built once; {@code null} when it cannot be (reported once) or is null. */
    private AccessLogger logger(PluginSpec spec, String route) {
        AccessLogger l = loggers.get(spec);
        if (l == null && spec != null && !failed.contains(spec)) {
            try {
                l = registry.createAccessLogger(spec, route);
                loggers.put(spec, l);
            } catch (ConfigException e) {
                problem(e);
                failed.add(spec);
            }
        }
        return l;
    }

    /**
     * Reports {@code spec}'s name when no plugin of {@code kind} provides it, unless it is null or a spec already
     * built or reported (a global one that routes inherit).
     */
    private void lookUp(PluginKind kind, PluginSpec spec) {
        if (spec == null || failed.contains(spec) || classifiers.containsKey(spec) || loggers.containsKey(spec)) {
            return;
        }
        try {
            registry.requireProvided(kind, spec);
        } catch (ConfigException e) {
            problem(e);
            failed.add(spec);
        }
    }

    /** A plugin's problem: its message starts with the location and key of the spec or setting. */
    private void problem(ConfigException e) {
        problem(e.origin(), e.getMessage());
    }

    private void problem(ConfigOrigin origin, String line) {
        problems++;
        report.problem(origin, line);
    }

    private static String where(RouteSettings rs) {
        return rs.origin() == null ? "<config>" : rs.origin().description();
    }
}
