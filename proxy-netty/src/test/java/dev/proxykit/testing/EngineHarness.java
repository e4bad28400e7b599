package dev.proxykit.testing;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOriginFactory;
import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.ProxyEngine;
import dev.proxykit.netty.Route;
import dev.proxykit.netty.Transport;
import dev.proxykit.netty.UpstreamTls;
import dev.proxykit.runtime.config.Cidr;
import dev.proxykit.runtime.config.ForwardedSettings;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.Limits;
import dev.proxykit.runtime.config.PluginSpec;
import dev.proxykit.runtime.config.PoolSettings;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.RouteSettings;
import dev.proxykit.runtime.config.Timeouts;
import dev.proxykit.runtime.config.TlsSettings;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Runs the engine on a free loopback port from settings records and plugin instances given in code, without
 * configuration files or plugin discovery: the fastest way to test the hot path.
 */
public final class EngineHarness implements AutoCloseable {

    /** A route to build. Defaults: any host and path, round-robin, no directors. */
    public static final class RouteSpec {
        String name = "test";
        String host;
        String pathPrefix;
        final List<Upstream> upstreams = new ArrayList<>();
        UpstreamSelector selector = roundRobin();
        final List<Director> directors = new ArrayList<>();
        ErrorClassifier classifier = ErrorClassifier.standard();
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(10));
        TlsSettings tls = new TlsSettings(null, false);
        ForwardedSettings forwarded = new ForwardedSettings(true, true, true, List.of(), null);
        boolean mergeSlashes;
        Duration flushInterval = Duration.ZERO;
        HealthSettings health = HealthSettings.NONE;
        RetrySettings retries = RetrySettings.NONE;

        public RouteSpec name(String n) {
            this.name = n;
            return this;
        }

        public RouteSpec host(String h) {
            this.host = h;
            return this;
        }

        public RouteSpec pathPrefix(String p) {
            this.pathPrefix = p;
            return this;
        }

        public RouteSpec upstream(String url) {
            upstreams.add(Upstream.parse(url));
            return this;
        }

        public RouteSpec selector(UpstreamSelector s) {
            this.selector = s;
            return this;
        }

        public RouteSpec director(Director d) {
            directors.add(d);
            return this;
        }

        public RouteSpec classifier(ErrorClassifier c) {
            this.classifier = c;
            return this;
        }

        public RouteSpec timeouts(Duration connect, Duration responseHeader, Duration idle) {
            this.timeouts = new Timeouts(connect, responseHeader, idle, timeouts.clientHeader());
            return this;
        }

        public RouteSpec tls(TlsSettings t) {
            this.tls = t;
            return this;
        }

        public RouteSpec trustedProxies(String... cidrs) {
            List<Cidr> list = new ArrayList<>();
            for (String c : cidrs) {
                list.add(Cidr.parse(c));
            }
            this.forwarded = new ForwardedSettings(forwarded.xForwardedFor(), forwarded.xForwardedHost(),
                    forwarded.xForwardedProto(), list, forwarded.via());
            return this;
        }

        public RouteSpec forwarded(ForwardedSettings f) {
            this.forwarded = f;
            return this;
        }

        public RouteSpec flushInterval(Duration d) {
            this.flushInterval = d;
            return this;
        }

        public RouteSpec mergeSlashes(boolean on) {
            this.mergeSlashes = on;
            return this;
        }

        /** Health tracking (default: none, every upstream always live). */
        public RouteSpec health(HealthSettings h) {
            this.health = h;
            return this;
        }

        /** Retries (default: none, every request tried once). */
        public RouteSpec retries(RetrySettings r) {
            this.retries = r;
            return this;
        }
    }

    private final ProxyEngine engine;
    private final int port;
    private final CapturingAccessLogger accessLog;

    private EngineHarness(ProxyEngine engine, int port, CapturingAccessLogger accessLog) {
        this.engine = engine;
        this.port = port;
        this.accessLog = accessLog;
    }

    /** A simple lock-free rotation, so engine tests do not depend on the built-in plugins. */
    public static UpstreamSelector roundRobin() {
        AtomicLong next = new AtomicLong();
        return live -> {
            Upstream[] all = live.toArray(new Upstream[0]);
            return request -> all.length == 0 ? null : all[(int) Math.floorMod(next.getAndIncrement(), all.length)];
        };
    }

    public static RouteSpec route() {
        return new RouteSpec();
    }

    /** Starts an engine with one route and default limits. */
    public static EngineHarness start(RouteSpec route) throws Exception {
        return start(List.of(route), l -> { });
    }

    /**
     * Starts an engine.
     *
     * @param limits adjusts the limits, timeouts and pool settings: {@code Settings} fields are mutable here
     */
    public static EngineHarness start(List<RouteSpec> routes, Consumer<Settings> limits) throws Exception {
        Settings s = new Settings();
        limits.accept(s);
        CapturingAccessLogger accessLog = new CapturingAccessLogger();
        PluginSpec dummy = new PluginSpec("test", ConfigFactory.empty(), "test", ConfigOriginFactory.newSimple("test"));
        List<RouteSettings> routeSettings = new ArrayList<>();
        List<Route> built = new ArrayList<>();
        for (RouteSpec r : routes) {
            RouteSettings rs = new RouteSettings(r.name, r.host, r.pathPrefix, r.upstreams, dummy, List.of(),
                    r.timeouts, r.tls, dummy, dummy, r.forwarded, r.mergeSlashes, r.flushInterval,
                    ConfigOriginFactory.newSimple("test"), r.health, r.retries);
            routeSettings.add(rs);
            SslContext ssl = r.upstreams.stream().anyMatch(Upstream::isSecure)
                    ? UpstreamTls.clientContext(r.tls, r.name) : null;
            built.add(ProxyEngine.newRoute(rs, r.selector, r.directors, r.classifier, accessLog, ssl));
        }
        ProxySettings settings = new ProxySettings(null,
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), s.workers,
                s.transport, s.tunnelSplice, s.grace, null,
                new Limits(s.maxRequestLine, s.maxRequestHead, s.maxResponseHead, s.maxRequestBody),
                new PoolSettings(s.maxIdlePerHost, s.poolIdle), s.upstreamReceiveBuffer,
                new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), s.idle, s.clientHeader),
                dummy, dummy, s.trustedProxies.stream().map(Cidr::parse).toList(), routeSettings);
        ProxyEngine engine = new ProxyEngine(settings, Transport.choose(settings.transport()), built,
                ErrorClassifier.standard(), accessLog);
        List<InetSocketAddress> bound = engine.bind();
        return new EngineHarness(engine, bound.get(0).getPort(), accessLog);
    }

    /** Engine-wide settings a test may change before start. */
    public static final class Settings {
        public int workers = 2;
        public ProxySettings.TransportKind transport = ProxySettings.TransportKind.AUTO;
        public boolean tunnelSplice = true;
        public Duration grace = Duration.ofSeconds(5);
        public int maxRequestLine = 8192;
        public int maxRequestHead = 32768;
        public int maxResponseHead = 32768;
        public long maxRequestBody;
        public int maxIdlePerHost = 32;
        public Duration poolIdle = Duration.ofSeconds(60);
        /** {@code proxykit.upstream-receive-buffer}; 0 for auto. */
        public int upstreamReceiveBuffer;
        public Duration idle = Duration.ofSeconds(30);
        public Duration clientHeader = Duration.ofSeconds(10);
        /** {@code proxykit.trusted-proxies}: for requests that match no route. */
        public List<String> trustedProxies = List.of();
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public CapturingAccessLogger accessLog() {
        return accessLog;
    }

    public ProxyEngine engine() {
        return engine;
    }

    public RawHttpClient client() throws IOException {
        return new RawHttpClient(port);
    }

    /** Shuts down with the given grace period (tests of graceful shutdown). */
    public void shutdown(Duration grace) {
        engine.shutdown(grace);
    }

    @Override
    public void close() {
        engine.shutdown(Duration.ofSeconds(2));
    }
}
