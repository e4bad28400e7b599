package dev.proxykit.netty.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.Written;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Http1EncoderTest {

    private static HeaderBlock received(String fields) {
        byte[] raw = ("GET / HTTP/1.1\r\n" + fields + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try {
            return HeadParser.parseRequest(raw, raw.length).headers();
        } catch (HttpParseException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writesAReceivedHeadByteForByteAndAddedFieldsAsGiven() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1Encoder());
        HeaderBlock h = received("host: h\r\nX-MiXeD: caf\u00e9\r\n").copy();
        h.add("X-Forwarded-For", "127.0.0.1");
        ch.writeOutbound(new OutboundRequest("GET", "//a//b?x=1;y", h, BodyKind.NONE));
        assertEquals("GET //a//b?x=1;y HTTP/1.1\r\nhost: h\r\nX-MiXeD: caf\u00e9\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n",
                Written.text(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void framesChunkedBodiesAndTrailersPassingContentThrough() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1Encoder());
        ch.writeOutbound(ResponseHead.of(200, "OK", new HeaderBlock(2), BodyKind.CHUNKED, -1));
        ByteBuf content = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        ch.writeOutbound(content);
        HeaderBlock trailers = new HeaderBlock(1);
        trailers.add("X-Sum", "1");
        ch.writeOutbound(LastChunk.withTrailers(trailers));
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n",
                Written.text(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void passesContentLengthBodiesUntouched() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1Encoder());
        HeaderBlock h = new HeaderBlock(1);
        h.add("Content-Length", "5");
        ch.writeOutbound(ResponseHead.of(200, "OK", h, BodyKind.LENGTH, 5));
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Written.text(ch));
        ByteBuf content = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        ch.writeOutbound(content);
        ByteBuf out = ch.readOutbound();
        assertSame(content, out, "the same buffer, not a copy");
        out.release();
        ch.writeOutbound(LastChunk.EMPTY);
        assertEquals("", Written.text(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void theEndOfAKnownLengthBodyWritesNothingUnlessItsPromiseIsWatched() {
        EmbeddedChannel ch = new EmbeddedChannel(new Http1Encoder());
        ch.writeOutbound(ResponseHead.of(200, "OK", new HeaderBlock(1), BodyKind.LENGTH, 0));
        Written.text(ch);
        ch.writeAndFlush(LastChunk.EMPTY, ch.voidPromise());
        assertNull(ch.readOutbound(), "no message for a void promise");
        ChannelFuture end = ch.writeAndFlush(LastChunk.EMPTY);
        assertTrue(end.isSuccess(), "a watched end completes once what was written before it is flushed");
        ByteBuf marker = ch.readOutbound();
        assertEquals(0, marker.readableBytes());
        marker.release();
        ch.finishAndReleaseAll();
    }
}
