package dev.proxykit.netty;

import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The idle keep-alive connections to upstreams of one event loop, and the place new ones are opened. Plain
 * fields, no locks: only ever used on its own event loop, by exchanges whose client connection lives there too.
 *
 * <p>Most recently used first, so a quiet period lets the oldest connections age out; a sweeper closes connections
 * idle longer than {@code upstream-keepalive.idle-timeout}.
 */
final class UpstreamPool {

    private final Engine engine;
    private final EventLoop loop;
    private final LoopClock clock = LoopClock.current(); // made on its loop (Engine.pool)
    private final Bootstrap bootstrap;
    private final Map<UpstreamTarget, ArrayDeque<BackendHandler>> idle = new IdentityHashMap<>();
    private boolean sweeperScheduled;

    UpstreamPool(Engine engine, EventLoop loop) {
        this.engine = engine;
        this.loop = loop;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(engine.transport.socketChannel())
                .resolver(engine.resolver)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, Engine.WATER_MARK)
                .option(ChannelOption.RCVBUF_ALLOCATOR, Engine.RECV_BUFFERS);
        if (engine.upstreamReceiveBuffer > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, engine.upstreamReceiveBuffer); // before connect: window scale
        }
    }

    /**
     * Hands {@code exchange} a connection to {@code target}: an idle pooled one at once, or a new one when it is
     * connected (and its TLS handshake done). Failures go to {@link Exchange#onConnectFailed(Throwable)}.
     */
    void acquire(UpstreamTarget target, Exchange exchange, boolean allowPooled) {
        if (allowPooled) {
            ArrayDeque<BackendHandler> q = idle.get(target);
            while (q != null && !q.isEmpty()) {
                BackendHandler be = q.pollFirst();
                if (be.channel().isActive()) {
                    exchange.onConnected(be, true);
                    return;
                }
                be.channel().close();
            }
        }
        connect(target, exchange);
    }

    private void connect(UpstreamTarget target, Exchange exchange) {
        BackendHandler be = new BackendHandler(this, target);
        Bootstrap b = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, exchange.connectTimeoutMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (engine.tunnelSplice && target.ssl == null) {
                            ReadCounter.install(ch); // a tunnel over TLS never splices
                        }
                        if (target.ssl != null) {
                            ch.pipeline().addLast("tls", target.newSslHandler(ch.alloc(),
                                    exchange.connectTimeoutMillis()));
                        }
                        ch.pipeline().addLast("encoder", new Http1Encoder());
                        ch.pipeline().addLast("decoder", Http1Decoder.forResponses(engine.maxResponseHead));
                        ch.pipeline().addLast("backend", be);
                    }
                });
        long connectStart = clock.nanoTime();
        ChannelFuture f = b.connect(target.address);
        OnLoop.listen(loop, f, cf -> {
            if (!cf.isSuccess()) {
                exchange.onConnectFailed(cf.cause());
                return;
            }
            SslHandler ssl = cf.channel().pipeline().get(SslHandler.class);
            if (ssl == null) {
                exchange.onConnected(be, false);
                return;
            }
            // timeouts.connect covers the TCP connect and the handshake together: the handshake gets what is left.
            // It starts with channelActive, which Netty fires after the connect promise's listeners, so this holds.
            long spent = TimeUnit.NANOSECONDS.toMillis(clock.nanoTime() - connectStart);
            ssl.setHandshakeTimeoutMillis(Math.max(1, exchange.connectTimeoutMillis() - spent));
            ssl.handshakeFuture().addListener(hf -> {
                if (hf.isSuccess()) {
                    exchange.onConnected(be, false);
                } else {
                    cf.channel().close();
                    exchange.onConnectFailed(hf.cause());
                }
            });
        });
    }

    /** Takes back a connection after a complete exchange; keeps it if there is room, else closes it. */
    void release(BackendHandler be) {
        Channel ch = be.channel();
        if (!ch.isActive() || engine.maxIdlePerHost == 0 || engine.draining) {
            ch.close();
            return;
        }
        ArrayDeque<BackendHandler> q = idle.computeIfAbsent(be.target(), k -> new ArrayDeque<>());
        if (q.size() >= engine.maxIdlePerHost) {
            ch.close();
            return;
        }
        be.idleSince(clock.nanoTime());
        q.addFirst(be);
        scheduleSweeper();
    }

    /** Forgets a pooled connection that closed or misbehaved. */
    void remove(BackendHandler be) {
        ArrayDeque<BackendHandler> q = idle.get(be.target());
        if (q != null) {
            q.remove(be);
        }
    }

    /** How many idle connections the pool holds (all targets). */
    int idleCount() {
        int n = 0;
        for (ArrayDeque<BackendHandler> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    private void scheduleSweeper() {
        if (sweeperScheduled) {
            return;
        }
        sweeperScheduled = true;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(100), engine.poolIdleTimeoutNanos / 2);
        loop.schedule(this::sweep, period, TimeUnit.NANOSECONDS);
    }

    private void sweep() {
        sweeperScheduled = false;
        long now = clock.nanoTime();
        boolean any = false;
        for (ArrayDeque<BackendHandler> q : idle.values()) {
            for (Iterator<BackendHandler> it = q.descendingIterator(); it.hasNext(); ) {
                BackendHandler be = it.next();
                if (now - be.idleSince() >= engine.poolIdleTimeoutNanos) {
                    it.remove();
                    be.channel().close();
                }
            }
            any |= !q.isEmpty();
        }
        if (any) {
            scheduleSweeper();
        }
    }
}
