package dev.proxykit.netty;

import dev.proxykit.netty.http1.DecodeFailure;
import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection: hands decoded responses to the {@link Exchange} the connection
 * currently serves, or, while the connection idles in its pool, closes it on anything unexpected. Lives on the
 * event loop of the client connections it serves; plain fields.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {

    private final UpstreamPool pool;
    private final UpstreamTarget target;
    private ChannelHandlerContext ctx;
    private Http1Decoder decoder;
    private CodecLink out;
    private Exchange exchange;
    private long idleSince;

    BackendHandler(UpstreamPool pool, UpstreamTarget target) {
        this.pool = pool;
        this.target = target;
    }

    Channel channel() {
        return ctx.channel();
    }

    /**
     * Where the exchange writes to the upstream on its hot path: straight to the encoder ({@link CodecLink}); nothing
     * after this handler handles writes.
     */
    CodecLink out() {
        return out;
    }

    UpstreamTarget target() {
        return target;
    }

    UpstreamPool pool() {
        return pool;
    }

    /** The connection's response decoder. */
    Http1Decoder decoder() {
        return decoder;
    }

    long idleSince() {
        return idleSince;
    }

    void idleSince(long nanos) {
        this.idleSince = nanos;
    }

    /** Starts serving {@code ex}: the next response on this connection is its. */
    void attach(Exchange ex, boolean headRequest) {
        this.exchange = ex;
        decoder().expectResponse(headRequest);
    }

    /** Stops serving the current exchange (before the connection goes back to the pool or is closed). */
    void detach() {
        this.exchange = null;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.decoder = ctx.pipeline().get(Http1Decoder.class); // added before this handler; looked up once
        this.out = CodecLink.link(ctx, this, decoder);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Exchange ex = exchange;
        if (ex == null) {
            // an idle pooled connection must stay silent; anything else means it cannot be trusted
            ReferenceCountUtil.release(msg);
            pool.remove(this);
            ctx.close();
            return;
        }
        if (msg instanceof ByteBuf) {
            ex.onResponseContent((ByteBuf) msg);
        } else if (msg instanceof ResponseHead) {
            ex.onResponseHead((ResponseHead) msg);
        } else if (msg instanceof LastChunk) {
            ex.onResponseEnd((LastChunk) msg);
        } else if (msg instanceof DecodeFailure) {
            ex.onInvalidResponse((DecodeFailure) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
    }

    /**
     * An https upstream's {@code close_notify}: it will send nothing more on this connection (RFC 8446 6.1), whether
     * or not it closes TCP too. Closing it now drops an idle pooled connection before a request is sent into it, and
     * ends a body delimited by the connection's end now, not at the idle timeout.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslCloseCompletionEvent) {
            pool.remove(this);
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.remove(this);
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamClosed(null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onUpstreamClosed(cause);
        }
        ctx.close();
    }
}
