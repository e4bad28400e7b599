package dev.proxykit.netty;

import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import java.util.List;

/**
 * The hot path's shortcut between a connection's last handler and its HTTP/1 codec: the decoder hands its messages
 * straight to the handler ({@link Http1Decoder#deliverTo}), and the handler's writes go straight to the encoder,
 * instead of each message walking the pipeline (per hop a context lookup, a leak-detector touch and a megamorphic
 * handler call; some 2-3 % of the CPU of a small request, async-profiler).
 *
 * <p>It makes the same calls the pipeline would, so it is taken only where nothing else could see the messages: the
 * decoder must sit right before the handler, and no outbound handler between the encoder and the handler. Otherwise
 * (a pipeline someone changed) each direction takes the pipeline as usual. Made when the handler is added; used on
 * the channel's event loop.
 */
final class CodecLink {

    private final ChannelHandlerContext ctx;
    /** The encoder and its context when writes go straight to it; else null, and writes start at {@link #ctx}. */
    private final Http1Encoder encoder;
    private final ChannelHandlerContext encoderCtx;

    private CodecLink(ChannelHandlerContext ctx, Http1Encoder encoder, ChannelHandlerContext encoderCtx) {
        this.ctx = ctx;
        this.encoder = encoder;
        this.encoderCtx = encoderCtx;
    }

    /**
     * Links {@code handler}, just added at {@code ctx}, with its pipeline's codec where the pipeline allows it.
     *
     * @param decoder the pipeline's decoder, or {@code null} when it has none
     */
    static CodecLink link(ChannelHandlerContext ctx, ChannelInboundHandler handler, Http1Decoder decoder) {
        ChannelPipeline p = ctx.pipeline();
        List<String> names = p.names();
        int self = names.indexOf(ctx.name());
        if (decoder != null) {
            ChannelHandlerContext decoderCtx = p.context(decoder);
            if (decoderCtx != null && self > 0 && names.get(self - 1).equals(decoderCtx.name())) {
                decoder.deliverTo(ctx, handler);
            }
        }
        ChannelHandlerContext encoderCtx = p.context(Http1Encoder.class);
        if (encoderCtx == null) {
            return new CodecLink(ctx, null, null);
        }
        int at = names.indexOf(encoderCtx.name());
        boolean direct = at >= 0 && at < self;
        for (int i = at + 1; direct && i < self; i++) {
            ChannelHandler between = p.get(names.get(i));
            direct = !(between instanceof ChannelOutboundHandler);
        }
        return direct
                ? new CodecLink(ctx, (Http1Encoder) encoderCtx.handler(), encoderCtx)
                : new CodecLink(ctx, null, null);
    }

    /** Whether writes go straight to the encoder (for tests; {@link Http1Decoder#deliversDirectly} for reads). */
    boolean writesDirect() {
        return encoder != null;
    }

    /**
     * Writes {@code msg} as {@code ctx.write} would: through the encoder, then on towards the socket. A throw from the
     * encoder fails the promise, as the pipeline does (a void promise sends it to {@code exceptionCaught}).
     */
    void write(Object msg, ChannelPromise promise) {
        if (!direct()) {
            ctx.write(msg, promise);
            return;
        }
        try {
            encoder.write(encoderCtx, msg, promise);
        } catch (Throwable t) {
            promise.tryFailure(t);
        }
    }

    /** Flushes as {@code ctx.flush()} would (the encoder passes flushes on). */
    void flush() {
        (direct() ? encoderCtx : ctx).flush();
    }

    /** Whether writes go straight to the encoder now: it was linked and is still in the pipeline. */
    private boolean direct() {
        return encoder != null && !encoderCtx.isRemoved();
    }

    void writeAndFlush(Object msg, ChannelPromise promise) {
        write(msg, promise);
        flush();
    }
}
