package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.runtime.config.ConfigMessages;
import dev.proxykit.runtime.config.ProxySettings;
import dev.proxykit.runtime.config.RouteSettings;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running network side of a proxy: event loops, listening sockets, client connections and upstream pools. Built
 * by the runtime from validated settings and plugin instances; knows nothing of configuration files or plugins.
 *
 * <p>Thread-safe: {@link #bind()} and {@link #shutdown(Duration)} may be called from any thread but not
 * concurrently with each other.
 */
public final class ProxyEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyEngine.class);
    /** How long clients cut off by the shutdown have to take their 503 before their connections close. */
    private static final long CUT_OFF_WRITE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ProxySettings settings;
    private final Transport transport;
    private final MultiThreadIoEventLoopGroup group;
    /** One thread for health: active checks, ejection timers, building pickers. Serves no client. */
    private final MultiThreadIoEventLoopGroup healthGroup;
    private final List<Route> routes;
    private final DnsAddressResolverGroup resolver;
    private final ChannelGroup clients;
    private final Engine engine;
    private final List<Channel> servers = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private boolean shutDown;
    private volatile boolean graceEndedEarly;

    /**
     * The {@code SO_RCVBUF} to give upstream connections: {@code configured}, unless the kernel would cap it below
     * that ({@code net.core.rmem_max}, read from {@code rmemMax}; Linux's default is 208 KiB), where a fixed buffer
     * would be smaller than what the kernel's automatic sizing reaches: then 0, automatic sizing. Also 0 when
     * {@code configured} is 0 ({@code auto}) or the limit cannot be read (not Linux).
     */
    static int upstreamReceiveBuffer(int configured, Path rmemMax) {
        if (configured <= 0) {
            return 0;
        }
        // read as a stream: Files.readString trusts the size procfs reports, and got "4" of "4194304"
        try (BufferedReader in = Files.newBufferedReader(rmemMax)) {
            long max = Long.parseLong(String.valueOf(in.readLine()).trim());
            return max >= configured ? configured : 0;
        } catch (IOException | RuntimeException unreadable) {
            return 0;
        }
    }

    /**
     * Creates the event loops (not yet listening).
     *
     * @param routes            the built routes, in match order
     * @param defaultClassifier for requests that match no route
     * @param defaultLogger     for requests that match no route
     */
    public ProxyEngine(ProxySettings settings, Transport transport, List<Route> routes,
                       ErrorClassifier defaultClassifier, AccessLogger defaultLogger) {
        this.settings = settings;
        this.transport = transport;
        this.group = transport.newGroup(settings.workers(), "worker");
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.socketChannel()));
        this.clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
        this.engine = new Engine(routes, transport, settings.tunnelSplice(), defaultClassifier, defaultLogger,
                settings.limits().maxRequestLine(), settings.limits().maxRequestHeaderSize(),
                settings.limits().maxResponseHeaderSize(), settings.limits().maxRequestBody(),
                settings.timeouts().clientHeader().toNanos(), settings.timeouts().idle().toNanos(),
                settings.pool().maxIdlePerHost(), settings.pool().idleTimeout().toNanos(),
                upstreamReceiveBuffer(settings.upstreamReceiveBuffer(), Path.of("/proc/sys/net/core/rmem_max")),
                resolver, clients, settings.trustedProxies());
        this.routes = List.copyOf(routes);
        this.healthGroup = transport.newGroup(1, "health");
        Bootstrap probes = new Bootstrap()
                .channel(transport.socketChannel())
                .resolver(resolver)
                .option(ChannelOption.TCP_NODELAY, true);
        for (Route r : this.routes) {
            r.upstreamSet.start(healthGroup.next(), probes);
        }
    }

    /**
     * Builds one route from its settings and its plugin instances. Runs at start-up.
     *
     * @param upstreamTls the TLS context for the route's https upstreams, or {@code null} when it has none
     */
    public static Route newRoute(RouteSettings rs, UpstreamSelector selector, List<Director> directors,
                                 ErrorClassifier classifier, AccessLogger accessLogger, SslContext upstreamTls) {
        List<UpstreamTarget> targets = new ArrayList<>();
        for (Upstream u : rs.upstreams()) {
            targets.add(new UpstreamTarget(u, u.isSecure() ? upstreamTls : null));
        }
        return new Route(rs.name(), rs.matchHost(), rs.matchPathPrefix(), targets, selector, directors, classifier,
                accessLogger, rs.timeouts(), rs.forwarded(), rs.mergeSlashes(), rs.flushInterval(), rs.health(),
                rs.retries());
    }

    /**
     * How the listening sockets accept: up to 256 connections per event-loop turn. Netty's default for epoll accepts
     * one per turn: its accept loop asks whether "more data" may be waiting by comparing the last read's size with the
     * size attempted, and for an accept the "size" is the new file descriptor, so the answer is always no. Under load
     * a turn lasts milliseconds (every ready connection is served in it), so a burst of 1,000 connects waited in the
     * kernel's accept queue for over a second (`ss -ltn` sampled every 50 ms: 1,001 → 0 in 1.5-2 s; now in 100 ms),
     * and those clients' first requests with it (wrk's p99 at 1,000 connections: 0.8-1.5 s → 0.07-0.32 s). The
     * bound keeps a connect flood from holding up the connections already served for long.
     */
    private static final RecvByteBufAllocator ACCEPTS = new ServerChannelRecvByteBufAllocator()
            .respectMaybeMoreData(false)
            .maxMessagesPerRead(256);

    /**
     * Binds every listen address and starts accepting.
     *
     * @return the bound addresses (real ports for port 0)
     * @throws Exception when an address cannot be bound; nothing stays bound then
     */
    public List<InetSocketAddress> bind() throws Exception {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                // the kernel's limit (net.core.somaxconn, 4096 here): a burst of 1,000 connects against a backlog
                // of 1,024 overflowed the accept queue (nstat ListenOverflows) and cost those clients a SYN
                // retransmission, a second
                .option(ChannelOption.SO_BACKLOG, NetUtil.SOMAXCONN)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, ACCEPTS)
                .handler(AcceptFailures.INSTANCE)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, Engine.RECV_BUFFERS)
                .childHandler(new ServerInitializer(engine));
        try {
            for (InetSocketAddress address : settings.listen()) {
                ChannelFuture f = b.bind(address).await();
                if (!f.isSuccess()) {
                    throw new BindFailure(address, f.cause());
                }
                servers.add(f.channel());
                addresses.add((InetSocketAddress) f.channel().localAddress());
            }
        } catch (Exception e) {
            for (Channel s : servers) {
                s.close().awaitUninterruptibly();
            }
            servers.clear();
            addresses.clear();
            throw e;
        }
        return List.copyOf(addresses);
    }

    /** The bound addresses. */
    public List<InetSocketAddress> addresses() {
        return List.copyOf(addresses);
    }

    /** The transport in use. */
    public Transport transport() {
        return transport;
    }

    /** Open client connections, for tests and metrics. */
    public int openConnections() {
        return clients.size();
    }

    /**
     * Stops accepting, closes idle client connections, lets in-flight exchanges finish (each connection closes when
     * its exchange does) for at most {@code grace}, then answers 503 to the exchanges still waiting for a response
     * (see {@link FrontendHandler#cutOff()}), closes everything and stops the event loops. Blocks.
     */
    public void shutdown(Duration grace) {
        if (shutDown) {
            return;
        }
        shutDown = true;
        engine.draining = true;
        for (Channel s : servers) {
            s.close().awaitUninterruptibly();
        }
        onEachClientLoop((c, fe) -> {
            if (fe != null) {
                fe.drain();
            }
        });
        awaitNoClients(System.nanoTime() + grace.toNanos(), true);
        if (!clients.isEmpty()) {
            LOG.warn("shutdown grace period of {} {} with {} connection(s) still busy; closing them",
                    ConfigMessages.duration(grace), graceEndedEarly ? "ended early" : "elapsed", clients.size());
            engine.graceElapsed = true;
            // an exchange still waiting for its response head gets a 503 (the client learns why, as the access log
            // says); a response under way is cut; a client that does not take its 503 within a second is closed
            onEachClientLoop((c, fe) -> {
                if (fe != null) {
                    fe.cutOff();
                } else {
                    c.close(); // a tunnel
                }
            });
            awaitNoClients(System.nanoTime() + CUT_OFF_WRITE_NANOS, false);
            clients.close().awaitUninterruptibly();
        }
        for (Route r : routes) {
            r.upstreamSet.stop();
        }
        healthGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
        resolver.close();
    }

    /**
     * Runs {@code action} for each client connection on its event loop, with its HTTP handler, or {@code null} once
     * the connection is a tunnel.
     */
    private void onEachClientLoop(BiConsumer<Channel, FrontendHandler> action) {
        for (Channel c : clients) {
            c.eventLoop().execute(() -> action.accept(c, c.pipeline().get(FrontendHandler.class)));
        }
    }

    /** Ends the grace period of a {@link #shutdown} under way, or of the next one, now. Any thread. */
    public void endGracePeriod() {
        graceEndedEarly = true;
    }

    private void awaitNoClients(long deadline, boolean graceWait) {
        while (!clients.isEmpty() && System.nanoTime() - deadline < 0 && !(graceWait && graceEndedEarly)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * An address that could not be bound: {@code cannot listen on 127.0.0.1:3000 (proxykit.listen): bind() failed
     * (98: Address already in use)}, as nginx says {@code bind() to 127.0.0.1:3000 failed (98: Address already in use)}.
     */
    public static final class BindFailure extends Exception {
        private static final long serialVersionUID = 1L;

        BindFailure(InetSocketAddress address, Throwable cause) {
            super("cannot listen on " + address.getHostString() + ":" + address.getPort() + " (proxykit.listen): "
                    + IoErrors.describe(cause), cause);
        }
    }
}
