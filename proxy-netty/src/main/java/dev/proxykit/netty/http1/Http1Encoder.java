package dev.proxykit.netty.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.CharsetUtil;
import java.nio.charset.StandardCharsets;

/**
 * Encodes {@link OutboundRequest}s (client side) or {@link ResponseHead}s (server side), then body {@code ByteBuf}s
 * and a {@link LastChunk}, into HTTP/1.1 bytes. A head is encoded once into one pooled buffer; body buffers are passed
 * on as they are, wrapped in chunk framing when the message is chunked. Header names and values go out exactly as
 * the {@link HeaderBlock} holds them.
 *
 * <p>One instance per channel, used on its event loop. Ownership: every message written is passed on or released.
 */
public final class Http1Encoder extends ChannelOutboundHandlerAdapter {

    private static final byte[] HTTP11_SP = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SP_HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TE_CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final ByteBuf CRLF = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(2).writeByte('\r').writeByte('\n')).asReadOnly();
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    private boolean chunked;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf) {
            writeContent(ctx, (ByteBuf) msg, promise);
        } else if (msg instanceof LastChunk) {
            writeLast(ctx, (LastChunk) msg, promise);
        } else if (msg instanceof OutboundRequest) {
            ctx.write(encodeRequest(ctx, (OutboundRequest) msg), promise);
        } else if (msg instanceof ResponseHead) {
            ctx.write(encodeResponse(ctx, (ResponseHead) msg), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    private ByteBuf encodeRequest(ChannelHandlerContext ctx, OutboundRequest req) {
        HeaderBlock h = req.headers();
        ByteBuf out = ctx.alloc().buffer(req.method().length() + req.target().length() + 16
                + h.encodedSizeEstimate() + 32);
        // one octet per char, as ISO-8859-1, without Netty's charset comparisons of writeCharSequence
        ByteBufUtil.writeAscii(out, req.method());
        out.writeByte(' ');
        ByteBufUtil.writeAscii(out, req.target());
        out.writeBytes(SP_HTTP11_CRLF);
        h.encode(out);
        chunked = req.bodyKind() == BodyKind.CHUNKED;
        if (chunked) {
            out.writeBytes(TE_CHUNKED);
        }
        out.writeByte('\r').writeByte('\n');
        return out;
    }

    private ByteBuf encodeResponse(ChannelHandlerContext ctx, ResponseHead res) {
        HeaderBlock h = res.headers();
        ByteBuf out = ctx.alloc().buffer(res.reason().length() + 16 + h.encodedSizeEstimate() + 32);
        out.writeBytes(HTTP11_SP);
        int s = res.status();
        out.writeByte('0' + s / 100).writeByte('0' + s / 10 % 10).writeByte('0' + s % 10);
        out.writeByte(' ');
        ByteBufUtil.writeAscii(out, res.reason());
        out.writeByte('\r').writeByte('\n');
        h.encode(out);
        if (!res.isInformational()) {
            chunked = res.bodyKind() == BodyKind.CHUNKED;
            if (chunked) {
                out.writeBytes(TE_CHUNKED);
            }
        }
        out.writeByte('\r').writeByte('\n');
        return out;
    }

    private void writeContent(ChannelHandlerContext ctx, ByteBuf content, ChannelPromise promise) {
        if (!chunked || !content.isReadable()) {
            ctx.write(content, promise);
            return;
        }
        ByteBuf size = ctx.alloc().buffer(18);
        size.writeCharSequence(Integer.toHexString(content.readableBytes()), CharsetUtil.US_ASCII);
        size.writeByte('\r').writeByte('\n');
        ctx.write(size, ctx.voidPromise());
        ctx.write(content, ctx.voidPromise());
        ctx.write(CRLF.duplicate(), promise);
    }

    private void writeLast(ChannelHandlerContext ctx, LastChunk last, ChannelPromise promise) {
        if (!chunked) {
            // the body's end puts nothing on the wire; an empty buffer only carries a promise someone listens to
            if (!promise.isVoid()) {
                ctx.write(Unpooled.EMPTY_BUFFER, promise);
            }
            return;
        }
        chunked = false;
        HeaderBlock trailers = last.trailers();
        if (trailers == null) {
            ctx.write(LAST_CHUNK.duplicate(), promise);
            return;
        }
        ByteBuf out = ctx.alloc().buffer(trailers.encodedSizeEstimate() + 8);
        out.writeByte('0').writeByte('\r').writeByte('\n');
        trailers.encode(out);
        out.writeByte('\r').writeByte('\n');
        ctx.write(out, promise);
    }
}
