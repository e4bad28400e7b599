package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigOrigin;
import dev.proxykit.api.Upstream;
import java.util.List;
import java.util.Objects;

/**
 * One entry of {@code proxykit.routes}. Settings a route does not give are taken from {@code proxykit} level.
 *
 * @param name            {@code name}, or {@code route-<index>} when not given; unique
 * @param matchHost       {@code match.host}: the Host (port ignored, any case) this route serves; {@code *.example.com}
 *                        matches subdomains; {@code null} for any host
 * @param matchPathPrefix {@code match.path-prefix}: the raw request path must start with it; {@code null} for any
 * @param upstreams       {@code upstreams}: URL strings or {@code { url = "...", weight = N }} blocks, at least one
 * @param selector        {@code selector} (default {@code round-robin})
 * @param directors       {@code directors}, in order (default none)
 * @param timeouts        {@code timeouts}, merged over the global ones
 * @param tls             {@code tls}, merged over the global one
 * @param errorClassifier {@code error-classifier}, or the global one
 * @param accessLog       {@code access-log}, or the global one
 * @param forwarded       {@code forwarded}, {@code trusted-proxies}, {@code via}, merged over the global ones
 * @param mergeSlashes    {@code merge-slashes}: collapse runs of {@code /} in the path sent upstream (default false)
 * @param flushInterval   {@code flush-interval}: zero flushes response bytes to the client after every read from the
 *                        upstream; a positive interval batches flushes of responses with a known length (streamed
 *                        responses, {@code text/event-stream} or of unknown length, always flush at once)
 * @param origin          where the route block starts, for error messages
 * @param health          {@code health}, merged over the global one: passive ejection, active checks, slow start
 * @param retries         {@code retries}, merged over the global one
 */
public record RouteSettings(
        String name,
        String matchHost,
        String matchPathPrefix,
        List<Upstream> upstreams,
        PluginSpec selector,
        List<PluginSpec> directors,
        Timeouts timeouts,
        TlsSettings tls,
        PluginSpec errorClassifier,
        PluginSpec accessLog,
        ForwardedSettings forwarded,
        boolean mergeSlashes,
        java.time.Duration flushInterval,
        ConfigOrigin origin,
        HealthSettings health,
        RetrySettings retries) {

    public RouteSettings {
        Objects.requireNonNull(name, "name");
        upstreams = List.copyOf(upstreams);
        directors = List.copyOf(directors);
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(errorClassifier, "errorClassifier");
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(forwarded, "forwarded");
        Objects.requireNonNull(flushInterval, "flushInterval");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(retries, "retries");
    }

    /**
     * A route without health tracking or retries ({@link HealthSettings#NONE}, {@link RetrySettings#NONE}): every
     * upstream is always live and every request is tried once. For engines built in code.
     */
    public RouteSettings(String name, String matchHost, String matchPathPrefix, List<Upstream> upstreams,
                         PluginSpec selector, List<PluginSpec> directors, Timeouts timeouts, TlsSettings tls,
                         PluginSpec errorClassifier, PluginSpec accessLog, ForwardedSettings forwarded,
                         boolean mergeSlashes, java.time.Duration flushInterval, ConfigOrigin origin) {
        this(name, matchHost, matchPathPrefix, upstreams, selector, directors, timeouts, tls, errorClassifier,
                accessLog, forwarded, mergeSlashes, flushInterval, origin, HealthSettings.NONE, RetrySettings.NONE);
    }
}
