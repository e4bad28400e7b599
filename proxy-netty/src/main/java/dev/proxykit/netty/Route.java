package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.runtime.config.Cidr;
import dev.proxykit.runtime.config.ForwardedSettings;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.Timeouts;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A route as the hot path uses it: matcher, the current picker, directors, classifier, logger, timeouts in nanos,
 * and the connectable upstream targets. Built once at start, off the event loops; only {@link #picker} changes
 * (replaced as a whole when the live set changes).
 *
 * <p>Which upstreams are live, and the picker for them, are the business of the route's {@link UpstreamSet}
 * ({@link #upstreamSet}), which publishes each new picker here too.
 */
public final class Route {

    final String name;
    private final String host;
    private final boolean wildcardHost;
    private final String pathPrefix;
    final List<Upstream> upstreams;
    final UpstreamSelector selector;
    volatile UpstreamSelector.Picker picker;
    final UpstreamSet upstreamSet;
    final Director[] directors;
    final ErrorClassifier classifier;
    final AccessLogger accessLogger;
    final int connectTimeoutMillis;
    final long responseHeaderTimeoutNanos;
    final long idleTimeoutNanos;
    final ForwardedSettings forwarded;
    final boolean mergeSlashes;
    final long flushIntervalNanos;

    Route(String name, String matchHost, String matchPathPrefix, List<UpstreamTarget> targets,
          UpstreamSelector selector, List<Director> directors, ErrorClassifier classifier, AccessLogger accessLogger,
          Timeouts timeouts, ForwardedSettings forwarded, boolean mergeSlashes, java.time.Duration flushInterval,
          HealthSettings health, RetrySettings retries) {
        this.name = name;
        if (matchHost != null && matchHost.startsWith("*.")) {
            this.host = matchHost.substring(1).toLowerCase(Locale.ROOT);
            this.wildcardHost = true;
        } else {
            this.host = matchHost == null ? null : matchHost.toLowerCase(Locale.ROOT);
            this.wildcardHost = false;
        }
        this.pathPrefix = matchPathPrefix;
        this.upstreams = targets.stream().map(t -> t.upstream).toList();
        this.selector = selector;
        this.upstreamSet = new UpstreamSet(name, targets, selector, health, retries, p -> this.picker = p);
        this.directors = directors.toArray(new Director[0]);
        this.classifier = classifier;
        this.accessLogger = accessLogger;
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeouts.connect().toMillis());
        this.responseHeaderTimeoutNanos = timeouts.responseHeader().toNanos();
        this.idleTimeoutNanos = timeouts.idle().toNanos();
        this.forwarded = forwarded;
        this.mergeSlashes = mergeSlashes;
        this.flushIntervalNanos = flushInterval.toNanos();
    }

    /** The route's name. */
    public String name() {
        return name;
    }

    /**
     * Whether this route serves a request for {@code authority} (Host, port and a trailing dot ignored: the fully
     * qualified {@code example.com.} is {@code example.com}, as nginx matches it) and {@code path} (raw).
     */
    boolean matches(String authority, String path) {
        if (host != null) {
            if (authority == null) {
                return false;
            }
            String h = hostWithoutPort(authority);
            if (wildcardHost ? !(h.length() > host.length() && h.regionMatches(true, h.length() - host.length(),
                    host, 0, host.length())) : !h.equalsIgnoreCase(host)) {
                return false;
            }
        }
        return pathPrefix == null || path.startsWith(pathPrefix);
    }

    /** The connectable target for an upstream a picker returned, or {@code null} if it is not one of this route's. */
    UpstreamTarget target(Upstream u) {
        return upstreamSet.target(u);
    }

    /** Whether {@code address} is a trusted proxy for this route. */
    boolean trusts(InetAddress address) {
        return Cidr.anyContains(forwarded.trustedProxies(), address);
    }

    static String hostWithoutPort(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close < 0 ? authority : authority.substring(0, close + 1);
        }
        int colon = authority.indexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        return host.length() > 1 && host.charAt(host.length() - 1) == '.' ? host.substring(0, host.length() - 1) : host;
    }

    static long millisToNanos(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    @Override
    public String toString() {
        return name;
    }
}
