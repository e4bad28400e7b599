package dev.proxykit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte relay an exchange becomes after {@code 101 Switching Protocols}: the HTTP codecs leave both pipelines and
 * bytes flow both ways as they arrive, with the same backpressure rule as HTTP (an unwritable side stops reading the
 * other). A half-close on one side (a FIN; from a TLS peer, its {@code close_notify} too) is passed on as a half-close
 * of the other, after every byte before it; once both ways are half-closed, or on a close or reset of either side,
 * both close (copying, after writing what was read from the closed side; splicing, at once, see
 * {@link Side#splice()}); nothing moving for the idle timeout closes both.
 *
 * <p>The bytes move one of two ways, with the same behaviour and the same counts:
 * <ul>
 *   <li><b>splice</b>, when both sides are epoll sockets without TLS and {@code tunnel-splice} is on: the kernel moves
 *   them socket to pipe to socket ({@code splice(2)}) and they never enter the JVM or the pipelines. Netty's splice
 *   task does the backpressure (a side stops reading while its bytes wait in the pipe), the side's
 *   {@link ReadCounter} the counting, and a timer reading the kernel's last-send and last-receive times of both
 *   sockets the idle timeout;</li>
 *   <li><b>copy</b> otherwise: buffers pass through both pipelines, counted as read, with an
 *   {@link IdleStateHandler} on each side.</li>
 * </ul>
 * Confined to the event loop that both channels share.
 */
final class Tunnel {

    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);

    /** Tunnels that spliced since the class was loaded (tests read it to know which relay ran). */
    static final LongAdder SPLICED = new LongAdder();

    /** Told once, when both sides are closed, how many bytes went each way. */
    interface Done {
        void closed(long clientToUpstream, long upstreamToClient);
    }

    private final Channel client;
    private final Channel upstream;
    private final Done done;
    private int open = 2;
    private long clientToUpstream;
    private long upstreamToClient;
    /** Splicing: the idle timeout, the check of the kernel's times (null when none is pending), and its buffer. */
    private long idleMillis;
    private ScheduledFuture<?> idleCheck;
    private EpollTcpInfo tcpInfo;

    private Tunnel(Channel client, Channel upstream, Done done) {
        this.client = client;
        this.upstream = upstream;
        this.done = done;
    }

    /**
     * Joins {@code client} and {@code upstream}, socket channels which must share an event loop and whose pipelines
     * must hold no HTTP handlers any more (the caller removed the client's; this removes the upstream's). The leftover
     * buffers are bytes already received after the upgrade (may be {@code null}; ownership passes here); they are
     * written on at once, before anything else. Call on the event loop.
     */
    static void join(Channel client, Channel upstream, ByteBuf fromClient, ByteBuf fromUpstream, long idleNanos,
                     Done done) {
        Tunnel t = new Tunnel(client, upstream, done);
        upstream.pipeline().remove("decoder");
        upstream.pipeline().remove("encoder");
        upstream.pipeline().remove("backend");
        boolean splice = canSplice(client) && canSplice(upstream);
        LOG.debug("tunnel {} <-> {}: {}", client, upstream, splice ? "splice" : "copy");
        for (Channel ch : new Channel[] {client, upstream}) {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            if (!splice) {
                ch.pipeline().addLast("tunnel-idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
            }
        }
        Side c = t.new Side(client, upstream, true, splice);
        Side u = t.new Side(upstream, client, false, splice);
        client.pipeline().addLast("tunnel", c);
        upstream.pipeline().addLast("tunnel", u);
        c.passOn(fromClient);
        u.passOn(fromUpstream);
        if (splice) {
            SPLICED.increment();
            c.splice(); // queued on the peer behind the leftovers: the order holds
            u.splice();
            t.idleMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(idleNanos));
            t.tcpInfo = new EpollTcpInfo();
            t.idleCheck = client.eventLoop().schedule(t::checkIdle, t.idleMillis, TimeUnit.MILLISECONDS);
        }
        client.config().setAutoRead(true);
        upstream.config().setAutoRead(true);
    }

    /** Splicing needs an epoll socket whose reads are counted ({@code tunnel-splice} on) and no TLS on it. */
    private static boolean canSplice(Channel ch) {
        return ch instanceof EpollSocketChannel && ReadCounter.of(ch) != null
                && ch.pipeline().get(SslHandler.class) == null;
    }

    /** Splicing: closes both when neither socket sent or received data for the idle timeout, else looks again then. */
    private void checkIdle() {
        idleCheck = null;
        if (!client.isActive() || !upstream.isActive()) {
            return;
        }
        long quiet = Math.min(quietMillis(client), quietMillis(upstream));
        if (quiet >= idleMillis) {
            LOG.debug("tunnel {} <-> {}: idle for {} ms, closing", client, upstream, quiet);
            closeBoth();
        } else {
            idleCheck = client.eventLoop().schedule(this::checkIdle, idleMillis - quiet, TimeUnit.MILLISECONDS);
        }
    }

    /** Milliseconds since {@code ch}'s socket last sent or received data, per the kernel ({@code TCP_INFO}). */
    private long quietMillis(Channel ch) {
        ((EpollSocketChannel) ch).tcpInfo(tcpInfo);
        return Math.min(tcpInfo.lastDataRecv(), tcpInfo.lastDataSent());
    }

    private void closeBoth() {
        client.close();
        upstream.close();
    }

    private void sideClosed() {
        if (idleCheck != null) {
            idleCheck.cancel(false);
            idleCheck = null;
        }
        if (--open == 0) {
            done.closed(clientToUpstream, upstreamToClient);
        }
    }

    /** One direction: reads from its channel, writes to the peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        private final Channel peer;
        private final boolean fromClient;
        /** Splicing: the channel's read counter (null when copying), its value at the start and at the last read. */
        private final ReadCounter reads;
        private final long readsAtStart;
        private long readsSeen;
        /** The end of the input was found and passed on; a second end (a FIN after a close_notify) is not. */
        private boolean inputDone;
        /** Splicing: a write waits to tell when the peer's pipe is drained. */
        private boolean probing;

        Side(Channel channel, Channel peer, boolean fromClient, boolean splice) {
            this.channel = channel;
            this.peer = peer;
            this.fromClient = fromClient;
            this.reads = splice ? ReadCounter.of(channel) : null;
            this.readsAtStart = reads == null ? 0 : reads.bytes();
            this.readsSeen = readsAtStart;
        }

        private void count(long n) {
            if (fromClient) {
                clientToUpstream += n;
            } else {
                upstreamToClient += n;
            }
        }

        /** Writes bytes received before the tunnel (may be {@code null}) to the peer. */
        void passOn(ByteBuf leftover) {
            if (leftover != null) {
                count(leftover.readableBytes());
                peer.writeAndFlush(leftover, peer.voidPromise());
            }
        }

        /**
         * Starts splicing this direction, into a pipe the peer owns, until either channel closes: the splice ends only
         * by failing (its promise ignores cancelling). The peer's splice writes into a pipe of this channel's, which
         * closes with it and whose descriptors any thread may then reuse, and nothing stops that splice: so the peer
         * is closed at once with this channel (bytes from this channel still waiting in the peer's pipe are lost;
         * only an end by reset or error leaves any). A failure while open (a reset, say) happens inside the channel's
         * read loop, which reads on after it: both are closed after that loop, not in it.
         */
        @SuppressWarnings("deprecation") // spliceTo: "will be removed in the future", and supported until then
        void splice() {
            channel.closeFuture().addListener(f -> peer.close());
            ((AbstractEpollStreamChannel) channel).spliceTo((AbstractEpollStreamChannel) peer, Integer.MAX_VALUE,
                    channel.newPromise()).addListener(f -> {
                        if (!f.isSuccess() && channel.isOpen()) {
                            channel.eventLoop().execute(Tunnel.this::closeBoth);
                        }
                    });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // splicing, reads reach the pipeline only after a failed splice, and the read counter counts them
            if (reads == null && msg instanceof ByteBuf) {
                count(((ByteBuf) msg).readableBytes());
            }
            if (!peer.isActive()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            MemoryPressure.adjustMarks(peer);
            peer.write(msg, peer.voidPromise());
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (reads == null) {
                peer.flush();
                return;
            }
            long n = reads.bytes();
            boolean moved = n != readsSeen;
            readsSeen = n;
            if (!moved && !inputDone && ((DuplexChannel) channel).isInputShutdown()) {
                splicedReadFoundNothingAfterFin(ctx);
            }
        }

        /**
         * Splicing, a read after the FIN moved nothing. Netty reports the FIN when it arrives, with data perhaps still
         * queued before it; a read that moves nothing proves the end only if the peer's pipe had room, so only while
         * nothing waits to go out to the peer (its splice tasks drain the pipe). Otherwise reads again once it drained.
         */
        private void splicedReadFoundNothingAfterFin(ChannelHandlerContext ctx) {
            channel.config().setAutoRead(false); // after a FIN the socket polls readable forever: stop polling
            ChannelOutboundBuffer out = peer.unsafe().outboundBuffer();
            if (out == null || out.isEmpty()) {
                inputEnded(ctx);
            } else if (!probing) {
                probing = true;
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    probing = false;
                    channel.config().setAutoRead(true);
                });
            }
        }

        /**
         * The channel's input ended (a FIN, or a TLS close_notify, perhaps then a FIN): pass it on to the peer, once,
         * after every byte before it; both ended: close.
         */
        private void inputEnded(ChannelHandlerContext ctx) {
            if (inputDone) {
                return;
            }
            inputDone = true;
            if (!peer.isActive()) {
                ctx.close();
                return;
            }
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    SslHandler tls = peer.pipeline().get(SslHandler.class);
                    if (tls != null) {
                        // over TLS the end of a direction is a close_notify, then the FIN (RFC 8446 6.1): a bare FIN
                        // reads as a truncation attack, and OpenSSL fails the connection, answer and all
                        tls.closeOutbound().addListener(c -> shutdownPeerOutput());
                    } else {
                        shutdownPeerOutput();
                    }
                }
            });
        }

        private void shutdownPeerOutput() {
            ((DuplexChannel) peer).shutdownOutput().addListener(s -> {
                if (((DuplexChannel) channel).isOutputShutdown()) {
                    closeBoth(); // the other way ended before
                }
            });
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (reads == null) { // splicing, Netty's splice task stops and restarts reading itself
                peer.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (reads == null) { // splicing, the FIN may be early: channelReadComplete finds the end
                    inputEnded(ctx);
                }
            } else if (evt instanceof SslCloseCompletionEvent && ((SslCloseCompletionEvent) evt).isSuccess()) {
                // a close_notify ends what a TLS peer sends, whether TCP ends with it or stays open; the bytes before
                // it were read before this event (TLS is never spliced)
                if (ctx.pipeline().get(SslHandler.class).engine().isOutboundDone()) {
                    // nothing can go to it any more either: TLS 1.2 answers a close_notify with one and drops what
                    // waits (RFC 5246 7.2.1), or ours went first; closing passes on what was read, then closes both
                    ctx.close();
                } else {
                    inputEnded(ctx); // TLS 1.3: one way ended (RFC 8446 6.1), the other goes on
                }
            } else if (evt instanceof IdleStateEvent) {
                closeBoth();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (reads != null) {
                count(reads.bytes() - readsAtStart);
            }
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            sideClosed();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.info("tunnel {} <-> {}: the {} side failed, closing both: {}", fromClient ? channel : peer,
                    fromClient ? peer : channel, fromClient ? "client" : "upstream", IoErrors.describe(cause));
            closeBoth();
        }
    }
}
