package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.netty.http1.BodyKind;
import dev.proxykit.netty.http1.HeaderBlock;
import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.RequestHead;
import dev.proxykit.netty.http1.ResponseHead;
import dev.proxykit.testing.Written;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shortcut between a connection's last handler and its codec: taken only where nothing else could see the
 * messages, and then doing what the pipeline would (same messages in the same order, the same bytes on the wire, a
 * throw handed to {@code exceptionCaught}).
 */
class CodecLinkTest {

    private static final String REQUEST = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final Http1Decoder decoder = Http1Decoder.forRequests(8192, 32768, 0);
    private final Last last = new Last();

    @AfterEach
    void close() {
        last.received.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    /** The connection's last handler: records what it receives and links itself when added, as ours do. */
    private static final class Last extends ChannelInboundHandlerAdapter {
        final List<Object> received = new ArrayList<>();
        final List<Throwable> caught = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        RuntimeException throwOnRead;
        CodecLink link;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            link = CodecLink.link(ctx, this, ctx.pipeline().get(Http1Decoder.class));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            events.add("read");
            if (throwOnRead != null) {
                ReferenceCountUtil.release(msg);
                throw throwOnRead;
            }
            received.add(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("complete");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            caught.add(cause);
        }
    }

    private void receive(String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1)); // read, then read complete
    }

    private void respond() {
        HeaderBlock h = new HeaderBlock(1);
        h.add("Content-Length", "2");
        last.link.write(ResponseHead.of(200, "OK", h, BodyKind.LENGTH, 2), ch.voidPromise());
        last.link.write(Unpooled.copiedBuffer("hi", StandardCharsets.US_ASCII), ch.voidPromise());
        last.link.writeAndFlush(LastChunk.EMPTY, ch.voidPromise());
    }

    private void assertOneRequestReceived() {
        assertEquals(2, last.received.size(), last.received.toString());
        assertEquals("/a", ((RequestHead) last.received.get(0)).target());
        assertSame(LastChunk.EMPTY, last.received.get(1));
    }

    @Test
    void ourPipelineTakesTheShortcutBothWaysWithTheSameMessagesAndBytes() {
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("last", last);
        assertTrue(decoder.deliversDirectly());
        assertTrue(last.link.writesDirect());

        receive(REQUEST);
        assertOneRequestReceived();
        assertEquals(List.of("read", "read", "complete"), last.events);
        respond();
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", Written.text(ch));
    }

    @Test
    void anInboundHandlerBetweenDecoderAndHandlerStillSeesEveryMessage() {
        List<Object> seen = new ArrayList<>();
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("spy", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
                ctx.fireChannelRead(msg);
            }
        });
        ch.pipeline().addLast("last", last);
        assertFalse(decoder.deliversDirectly());
        assertTrue(last.link.writesDirect()); // the spy handles no writes

        receive(REQUEST);
        assertEquals(2, seen.size());
        assertOneRequestReceived();
    }

    @Test
    void anOutboundHandlerBetweenEncoderAndHandlerStillSeesEveryWrite() {
        List<Object> seen = new ArrayList<>();
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("spy", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(msg instanceof ByteBuf ? "ByteBuf" : msg.getClass().getSimpleName());
                ctx.write(msg, promise);
            }
        });
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("last", last);
        assertTrue(decoder.deliversDirectly());
        assertFalse(last.link.writesDirect());

        respond();
        assertEquals(List.of("ResponseHead", "ByteBuf", "LastChunk"), seen);
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", Written.text(ch));
    }

    @Test
    void aDuplexHandlerBetweenThemKeepsBothWaysOnThePipeline() {
        List<Object> seen = new ArrayList<>();
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("spy", new ChannelDuplexHandler() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(msg);
                ctx.write(msg, promise);
            }
        });
        ch.pipeline().addLast("last", last);
        assertFalse(decoder.deliversDirectly());
        assertFalse(last.link.writesDirect());
        respond();
        assertEquals(3, seen.size());
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", Written.text(ch));
    }

    @Test
    void aThrowFromTheHandlerGoesToItsExceptionCaughtAsThePipelineWouldSendIt() {
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("last", last);
        IllegalStateException boom = new IllegalStateException("boom");
        last.throwOnRead = boom;

        receive(REQUEST);
        assertEquals(List.of(boom, boom), last.caught); // the head and the end each threw
        assertEquals(List.of("read", "read", "complete"), last.events);
    }

    @Test
    void onceTheHandlerIsRemovedMessagesTakeThePipelineToWhoeverFollows() {
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("last", last);
        List<Object> next = new ArrayList<>();
        ch.pipeline().addLast("next", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                next.add(msg);
            }
        });
        ch.pipeline().remove(last);
        assertFalse(decoder.deliversDirectly());

        receive(REQUEST);
        assertEquals(0, last.received.size());
        assertEquals(2, next.size());
        assertEquals("/a", ((RequestHead) next.get(0)).target());
    }
}
