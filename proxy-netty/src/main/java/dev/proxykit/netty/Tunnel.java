package dev.proxykit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The byte relay an exchange becomes after {@code 101 Switching Protocols}: the HTTP codecs leave both pipelines and
 * bytes flow both ways as they arrive, with the same backpressure rule as HTTP (an unwritable side stops reading the
 * other). A half-close (FIN) on one side is passed on as a half-close of the other; a close or reset of either
 * closes both; nothing moving for the idle timeout closes both.
 */
final class Tunnel {

    /** Told once, when both sides are closed, how many bytes went each way. */
    interface Done {
        void closed(long clientToUpstream, long upstreamToClient);
    }

    private final Done done;
    private int open = 2;
    private long clientToUpstream;
    private long upstreamToClient;

    private Tunnel(Done done) {
        this.done = done;
    }

    /**
     * Joins {@code client} and {@code upstream}, which must share an event loop and whose pipelines must hold no
     * HTTP handlers any more (the caller removed the client's; this removes the upstream's). The leftover buffers are
     * bytes already received after the upgrade (may be {@code null}); they are written on at once.
     */
    static void join(Channel client, Channel upstream, ByteBuf fromClient, ByteBuf fromUpstream, long idleNanos,
                     Done done) {
        Tunnel t = new Tunnel(done);
        upstream.pipeline().remove("decoder");
        upstream.pipeline().remove("encoder");
        upstream.pipeline().remove("backend");
        for (Channel ch : new Channel[] {client, upstream}) {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            ch.pipeline().addLast("tunnel-idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS));
        }
        client.pipeline().addLast("tunnel", t.new Side(upstream, true));
        upstream.pipeline().addLast("tunnel", t.new Side(client, false));
        if (fromClient != null) {
            t.clientToUpstream += fromClient.readableBytes();
            upstream.writeAndFlush(fromClient, upstream.voidPromise());
        }
        if (fromUpstream != null) {
            t.upstreamToClient += fromUpstream.readableBytes();
            client.writeAndFlush(fromUpstream, client.voidPromise());
        }
        client.config().setAutoRead(true);
        upstream.config().setAutoRead(true);
    }

    private void sideClosed() {
        if (--open == 0) {
            done.closed(clientToUpstream, upstreamToClient);
        }
    }

    /** One direction: reads from its channel, writes to the peer. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel peer;
        private final boolean fromClient;

        Side(Channel peer, boolean fromClient) {
            this.peer = peer;
            this.fromClient = fromClient;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                int n = ((ByteBuf) msg).readableBytes();
                if (fromClient) {
                    clientToUpstream += n;
                } else {
                    upstreamToClient += n;
                }
            }
            if (!peer.isActive()) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            peer.write(msg, peer.voidPromise());
            if (!peer.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            peer.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            peer.config().setAutoRead(ctx.channel().isWritable());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                // the other end sent FIN: pass it on once everything before it is flushed
                if (peer instanceof DuplexChannel && peer.isActive()) {
                    peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                        if (((DuplexChannel) peer).isInputShutdown()) {
                            peer.close();
                            ctx.close();
                        } else {
                            ((DuplexChannel) peer).shutdownOutput();
                        }
                    });
                } else {
                    ctx.close();
                }
                if (ctx.channel() instanceof DuplexChannel && ((DuplexChannel) ctx.channel()).isOutputShutdown()) {
                    ctx.close();
                }
            } else if (evt instanceof IdleStateEvent) {
                ctx.close();
                peer.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            sideClosed();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            peer.close();
        }
    }
}
