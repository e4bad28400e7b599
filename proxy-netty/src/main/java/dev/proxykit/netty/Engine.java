package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.ErrorClassifier;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every connection of one running proxy shares: the routes, limits, timeouts, the per-loop upstream pools and
 * the set of open client connections. Immutable after start but for {@link #draining}.
 */
final class Engine {

    final List<Route> routes;
    final Transport transport;
    /** {@code proxykit.tunnel-splice}: epoll connections count their reads ({@link ReadCounter}), tunnels splice. */
    final boolean tunnelSplice;
    final ErrorClassifier defaultClassifier;
    final AccessLogger defaultAccessLogger;
    final int maxRequestLine;
    final int maxRequestHead;
    final int maxResponseHead;
    final long maxRequestBody;
    final long clientHeaderTimeoutNanos;
    final long idleTimeoutNanos;
    final int maxIdlePerHost;
    final long poolIdleTimeoutNanos;
    final AddressResolverGroup<InetSocketAddress> resolver;
    final ChannelGroup clients;
    final AtomicLong connectionIds = new AtomicLong();
    volatile boolean draining;

    private final FastThreadLocal<UpstreamPool> pools = new FastThreadLocal<>();

    Engine(List<Route> routes, Transport transport, boolean tunnelSplice, ErrorClassifier defaultClassifier,
           AccessLogger defaultAccessLogger, int maxRequestLine, int maxRequestHead, int maxResponseHead,
           long maxRequestBody, long clientHeaderTimeoutNanos, long idleTimeoutNanos, int maxIdlePerHost,
           long poolIdleTimeoutNanos, AddressResolverGroup<InetSocketAddress> resolver, ChannelGroup clients) {
        this.routes = List.copyOf(routes);
        this.transport = transport;
        this.tunnelSplice = tunnelSplice;
        this.defaultClassifier = defaultClassifier;
        this.defaultAccessLogger = defaultAccessLogger;
        this.maxRequestLine = maxRequestLine;
        this.maxRequestHead = maxRequestHead;
        this.maxResponseHead = maxResponseHead;
        this.maxRequestBody = maxRequestBody;
        this.clientHeaderTimeoutNanos = clientHeaderTimeoutNanos;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.maxIdlePerHost = maxIdlePerHost;
        this.poolIdleTimeoutNanos = poolIdleTimeoutNanos;
        this.resolver = resolver;
        this.clients = clients;
    }

    /** The first route, in configured order, that serves {@code authority} and {@code path}; or {@code null}. */
    Route match(String authority, String path) {
        for (int i = 0, n = routes.size(); i < n; i++) {
            Route r = routes.get(i);
            if (r.matches(authority, path)) {
                return r;
            }
        }
        return null;
    }

    /** The upstream pool of the calling event loop, created on first use. Only call on {@code loop}. */
    UpstreamPool pool(EventLoop loop) {
        UpstreamPool p = pools.get();
        if (p == null) {
            p = new UpstreamPool(this, loop);
            pools.set(p);
        }
        return p;
    }
}
