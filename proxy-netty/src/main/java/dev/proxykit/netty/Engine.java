package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.runtime.config.Cidr;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every connection of one running proxy shares: the routes, limits, timeouts, the per-loop upstream pools and
 * the set of open client connections. Immutable after start but for {@link #draining}.
 */
final class Engine {

    /**
     * The write-buffer water marks of every client and upstream connection: 128 KiB low, 256 KiB high (Netty's
     * defaults are 32 and 64 KiB). A body piece that takes a connection's queue past the high mark is flushed at
     * once, inside the read batch ({@link Exchange#onResponseContent}, {@link Exchange#onRequestContent}), and the
     * other side is paused only when the socket does not take it; reading resumes below the low mark. With 64 KiB
     * marks and 64 KiB reads, every read of a large body paused and resumed the upstream (two {@code epoll_ctl}
     * calls) and went out in a write of its own: measured with {@code perf stat} on a 1 MiB response, 38-42
     * syscalls per response then, 24-27 now. The price is memory: a connection whose peer does not read holds at
     * most the high mark plus one read ({@link #RECV_BUFFERS}) of queued bytes, 512 KiB, and much less while direct
     * memory is short ({@link MemoryPressure}).
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);

    /**
     * How big a read of every client and upstream connection may be: Netty's adaptive sizing (starting at 2 KiB,
     * growing while reads fill the buffer, shrinking when they do not), up to 256 KiB instead of Netty's 64 KiB, so
     * a large body is read in half the calls or fewer (18 {@code recvfrom} per 1 MiB response before, 9 now). Small
     * exchanges never grow past their first size. While direct memory is short, reads are smaller
     * ({@link MemoryPressure}).
     */
    static final RecvByteBufAllocator RECV_BUFFERS =
            MemoryPressure.reads(new AdaptiveRecvByteBufAllocator(64, 2048, 256 * 1024));

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
    /** {@code SO_RCVBUF} of every upstream connection, or 0 to leave it to the kernel ({@link ProxyEngine}). */
    final int upstreamReceiveBuffer;
    final AddressResolverGroup<InetSocketAddress> resolver;
    final ChannelGroup clients;
    /** {@code proxykit.trusted-proxies}, for requests that match no route. */
    final List<Cidr> trustedProxies;
    final AtomicLong connectionIds = new AtomicLong();
    volatile boolean draining;
    /** Set when the shutdown grace period ran out, just before the remaining client connections are closed. */
    volatile boolean graceElapsed;

    private final FastThreadLocal<UpstreamPool> pools = new FastThreadLocal<>();

    Engine(List<Route> routes, Transport transport, boolean tunnelSplice, ErrorClassifier defaultClassifier,
           AccessLogger defaultAccessLogger, int maxRequestLine, int maxRequestHead, int maxResponseHead,
           long maxRequestBody, long clientHeaderTimeoutNanos, long idleTimeoutNanos, int maxIdlePerHost,
           long poolIdleTimeoutNanos, int upstreamReceiveBuffer, AddressResolverGroup<InetSocketAddress> resolver,
           ChannelGroup clients, List<Cidr> trustedProxies) {
        this.routes = List.copyOf(routes);
        this.trustedProxies = List.copyOf(trustedProxies);
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
        this.upstreamReceiveBuffer = upstreamReceiveBuffer;
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

    /** Whether {@code address} is one of the global {@code trusted-proxies} (for requests that match no route). */
    boolean trusts(InetAddress address) {
        return Cidr.anyContains(trustedProxies, address);
    }
}
