package dev.proxykit.netty.health;

import dev.proxykit.netty.IoErrors;
import dev.proxykit.netty.OnLoop;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * One active health check: a non-blocking HTTP/1.1 {@code GET} to one upstream (over TLS for https), judged by the
 * status line of the answer alone. The connection is opened for the check and closed after it
 * ({@code Connection: close}); nothing of the response beyond the status line is read.
 *
 * <p><b>Threads.</b> Everything runs on the given event loop, which must not be one that serves clients (the
 * engine gives its health loop); {@code done} is called on it exactly once, with the verdict.
 */
public final class HealthProbe {

    /** The verdict of a check. */
    public record Result(boolean passed, String detail) {
    }

    /** The longest status line read before the check fails. */
    private static final int MAX_STATUS_LINE = 1024;

    private HealthProbe() {
    }

    /**
     * Starts one check.
     *
     * @param loop      the event loop to run on
     * @param bootstrap a bootstrap with its channel type and resolver set; cloned, not changed
     * @param address   the upstream's address (resolved or not)
     * @param tls       builds the TLS handler for an https upstream (SNI and verification included), or
     *                  {@code null} for http
     * @param host      the Host header to send
     * @param path      the request target
     * @param expected  which statuses pass
     * @param timeoutMillis the whole check, connect and TLS included, must finish within this
     * @param done      receives the verdict, once, on {@code loop}
     */
    public static void check(EventLoop loop, Bootstrap bootstrap, InetSocketAddress address,
                             Function<ByteBufAllocator, SslHandler> tls, String host, String path,
                             IntPredicate expected, int timeoutMillis, Consumer<Result> done) {
        Objects.requireNonNull(done, "done");
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host
                + "\r\nUser-Agent: proxykit-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ProbeHandler handler = new ProbeHandler(request, expected, done);
        Bootstrap b = bootstrap.clone()
                .group(loop)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.apply(ch.alloc()));
                        }
                        ch.pipeline().addLast("probe", handler);
                    }
                });
        ChannelFuture f = b.connect(address);
        handler.timer = loop.schedule(() -> handler.finish(f.channel(), false, "no answer within " + timeoutMillis
                + " ms"), timeoutMillis, TimeUnit.MILLISECONDS);
        OnLoop.listen(loop, f, cf -> {
            if (!cf.isSuccess()) {
                String why = IoErrors.describe(cf.cause());
                handler.finish(cf.channel(), false, why.startsWith("connect()") ? why : "connect failed: " + why);
            }
        });
    }

    /** Sends the request once connected, reads the status line, and reports. */
    private static final class ProbeHandler extends ChannelInboundHandlerAdapter {

        private final byte[] request;
        private final IntPredicate expected;
        private final Consumer<Result> done;
        private final StringBuilder statusLine = new StringBuilder(32);
        private ScheduledFuture<?> timer;
        private boolean finished;

        ProbeHandler(byte[] request, IntPredicate expected, Consumer<Result> done) {
            this.request = request;
            this.expected = expected;
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // with TLS, the SslHandler holds this until its handshake is done
            ctx.writeAndFlush(ctx.alloc().buffer(request.length).writeBytes(request)).addListener(w -> {
                if (!w.isSuccess()) {
                    finish(ctx.channel(), false, "sending the check failed: " + IoErrors.describe(w.cause()));
                }
            });
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (finished || !(msg instanceof ByteBuf)) {
                    return;
                }
                ByteBuf in = (ByteBuf) msg;
                while (in.isReadable()) {
                    char c = (char) in.readByte();
                    if (c == '\n') {
                        judge(ctx.channel());
                        return;
                    }
                    if (statusLine.length() >= MAX_STATUS_LINE) {
                        finish(ctx.channel(), false, "status line longer than " + MAX_STATUS_LINE + " bytes");
                        return;
                    }
                    statusLine.append(c);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void judge(Channel ch) {
            String line = statusLine.toString().trim();
            if (!line.matches("HTTP/1\\.[01] [0-9]{3}( .*)?")) {
                finish(ch, false, "not an HTTP/1.x status line: \"" + line + "\"");
                return;
            }
            int status = Integer.parseInt(line.substring(9, 12));
            finish(ch, expected.test(status), "status " + status);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(ctx.channel(), false, "connection closed before a status line");
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finish(ctx.channel(), false, IoErrors.describe(cause));
        }

        /** Reports once, stops the timer and closes the connection. */
        void finish(Channel ch, boolean passed, String detail) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            if (ch != null && ch.isRegistered()) {
                // a channel that could not be created (no file descriptor left) is a stand-in that throws on close
                ch.close();
            }
            done.accept(new Result(passed, detail));
        }
    }
}
