package dev.proxykit.netty.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Http1DecoderTest {

    private static EmbeddedChannel requests() {
        return new EmbeddedChannel(Http1Decoder.forRequests(8192, 32768, 0));
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Everything decoded so far; body buffers are read into strings and released. */
    private static List<Object> drain(EmbeddedChannel ch) {
        List<Object> out = new ArrayList<>();
        Object m;
        while ((m = ch.readInbound()) != null) {
            if (m instanceof ByteBuf) {
                out.add(((ByteBuf) m).toString(StandardCharsets.ISO_8859_1));
                ((ByteBuf) m).release();
            } else {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void decodesAHeadAndAContentLengthBodyAsSlicesOfTheReceivedBuffer() {
        EmbeddedChannel ch = requests();
        ByteBuf in = bytes("POST /p?q HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
        ch.writeInbound(in);
        RequestHead head = ch.readInbound();
        assertEquals("POST", head.method());
        assertEquals("/p?q", head.target());
        assertEquals(BodyKind.LENGTH, head.bodyKind());
        ByteBuf body = ch.readInbound();
        assertSame(in.unwrap() == null ? in : in.unwrap(), body.unwrap() == null ? body : body.unwrap(),
                "the body is a slice of the buffer that arrived, not a copy");
        assertEquals("hello", body.toString(StandardCharsets.US_ASCII));
        body.release();
        assertSame(LastChunk.EMPTY, ch.readInbound());
        assertTrue(ch.finishAndReleaseAll() || true);
    }

    @Test
    void decodesChunkedBodiesWithExtensionsAndTrailers() {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Checksum: abc\r\n\r\n"));
        List<Object> out = drain(ch);
        assertEquals(4, out.size(), out.toString());
        assertEquals(BodyKind.CHUNKED, ((RequestHead) out.get(0)).bodyKind());
        assertEquals("hello", out.get(1));
        assertEquals("!", out.get(2));
        LastChunk last = (LastChunk) out.get(3);
        assertEquals("abc", last.trailers().get("x-checksum"));
        assertEquals("X-Checksum", last.trailers().name(0));
        ch.finishAndReleaseAll();
    }

    /** RFC 9110 6.5.1: framing, routing, authentication and the like never travel as trailers, either way. */
    @Test
    void dropsFieldsThatMustNotBeTrailersInBothDirectionsAndKeepsTheOthers() {
        String trailers = "X-Checksum: abc\r\nHost: evil\r\nContent-Length: 50\r\nauthorization: Bearer x\r\n"
                + "Transfer-Encoding: gzip\r\nSet-Cookie: t=1\r\nX-Forwarded-For: 6.6.6.6\r\nTrailer: X\r\n"
                + "grpc-status: 0\r\n\r\n";
        EmbeddedChannel req = requests();
        req.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                + trailers));
        List<Object> out = drain(req);
        assertEquals(3, out.size(), out.toString());
        HeaderBlock kept = ((LastChunk) out.get(2)).trailers();
        assertEquals("X-Checksum: abc, grpc-status: 0", kept.name(0) + ": " + kept.value(0) + ", " + kept.name(1)
                + ": " + kept.value(1));
        assertEquals(2, kept.size(), kept.toString());
        req.finishAndReleaseAll();

        EmbeddedChannel res = responses(false);
        res.writeInbound(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + trailers));
        out = drain(res);
        assertEquals(3, out.size(), out.toString());
        kept = ((LastChunk) out.get(2)).trailers();
        assertEquals(2, kept.size(), kept.toString());
        assertEquals("abc", kept.get("X-Checksum"));
        assertEquals("0", kept.get("grpc-status"));
        res.finishAndReleaseAll();
    }

    @Test
    void aTrailerSectionOfForbiddenFieldsOnlyEndsLikeNone() {
        EmbeddedChannel req = requests();
        req.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nHost: evil\r\n\r\n"));
        List<Object> out = drain(req);
        assertSame(LastChunk.EMPTY, out.get(1), "nothing left to send as trailers");
        req.finishAndReleaseAll();
    }

    @Test
    void decodesAHeadArrivingOneByteAtATime() {
        EmbeddedChannel ch = requests();
        String req = "GET /slow HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n";
        for (char c : req.toCharArray()) {
            ch.writeInbound(bytes(String.valueOf(c)));
        }
        List<Object> out = drain(ch);
        assertEquals(2, out.size());
        assertEquals("/slow", ((RequestHead) out.get(0)).target());
        ch.finishAndReleaseAll();
    }

    @Test
    void pausesAfterEachRequestUntilResumed() {
        EmbeddedChannel ch = requests();
        Http1Decoder decoder = ch.pipeline().get(Http1Decoder.class);
        ch.writeInbound(bytes("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"));
        List<Object> first = drain(ch);
        assertEquals(2, first.size(), "only the first request: " + first);
        assertTrue(decoder.isPaused());
        assertTrue(decoder.bufferedBytes() > 0);
        decoder.resume();
        List<Object> second = drain(ch);
        assertEquals("/2", ((RequestHead) second.get(0)).target());
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHo st: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u0000b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\nX: a\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /\tx HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET / http/1.1\r\nHost: h\r\n\r\n",
        "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        // the target's form (RFC 9112 3.2), and the authority of an absolute-form target checked as a Host
        "GET x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET example.com:80 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET ftp://e.com/x HTTP/1.1\r\nHost: e.com\r\n\r\n",
        "GET http://u:p@example.com/abs HTTP/1.1\r\nHost: example.com\r\n\r\n",
        "GET http://good#@evil/x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http://h:abc/x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET http:// HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET https://:443/x HTTP/1.1\r\nHost: h\r\n\r\n",
    })
    void refusesMalformedAndAmbiguousHeadsWith400(String request) {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes(request));
        List<Object> out = drain(ch);
        assertEquals(1, out.size(), "only a failure, no head: " + out);
        DecodeFailure f = assertInstanceOf(DecodeFailure.class, out.get(0));
        assertEquals(400, f.status(), f.message());
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertNull(ch.readInbound(), "nothing is decoded after a failure");
        ch.finishAndReleaseAll();
    }

    static Stream<Arguments> invalidChunkFraming() {
        return Stream.of(
                Arguments.of("5\r\nhelloX\r\n0\r\n\r\n", "chunk data not followed by CRLF"),
                Arguments.of("zz\r\nhello\r\n0\r\n\r\n", "invalid chunk size"),
                Arguments.of("5 x\r\nhello\r\n0\r\n\r\n", "invalid character after the chunk size"),
                Arguments.of("5\nhello\r\n0\r\n\r\n", "bare LF after a chunk size"),
                Arguments.of("fffffffffffffffff\r\n", "chunk size too large"));
    }

    @ParameterizedTest
    @MethodSource("invalidChunkFraming")
    void refusesInvalidChunkFramingWith400(String body, String reason) {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
        List<Object> out = drain(ch);
        DecodeFailure f = assertInstanceOf(DecodeFailure.class, out.get(out.size() - 1), out.toString());
        assertEquals(400, f.status());
        assertTrue(f.afterHead());
        assertTrue(f.message().contains(reason.trim()), f.message());
        ch.finishAndReleaseAll();
    }

    @Test
    void otherTransferCodingsAre501AndOtherVersions505() {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
        assertEquals(501, ((DecodeFailure) drain(ch).get(0)).status());
        EmbeddedChannel ch2 = requests();
        ch2.writeInbound(bytes("GET / HTTP/2.0\r\nHost: h\r\n\r\n"));
        assertEquals(505, ((DecodeFailure) drain(ch2).get(0)).status());
        ch.finishAndReleaseAll();
        ch2.finishAndReleaseAll();
    }

    @Test
    void limitsGive414And431And413() {
        EmbeddedChannel line = new EmbeddedChannel(Http1Decoder.forRequests(64, 1024, 10));
        line.writeInbound(bytes("GET /" + "a".repeat(100) + " HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(414, ((DecodeFailure) drain(line).get(0)).status());

        EmbeddedChannel longLineNoEnd = new EmbeddedChannel(Http1Decoder.forRequests(64, 1024, 10));
        longLineNoEnd.writeInbound(bytes("GET /" + "a".repeat(100)));
        assertEquals(414, ((DecodeFailure) drain(longLineNoEnd).get(0)).status(), "before the line even ends");

        EmbeddedChannel head = new EmbeddedChannel(Http1Decoder.forRequests(64, 1024, 10));
        head.writeInbound(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: " + "b".repeat(2000) + "\r\n\r\n"));
        assertEquals(431, ((DecodeFailure) drain(head).get(0)).status());

        EmbeddedChannel body = new EmbeddedChannel(Http1Decoder.forRequests(64, 1024, 10));
        body.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"));
        List<Object> out = drain(body);
        assertEquals(1, out.size(), "413 before the head is passed on: " + out);
        assertEquals(413, ((DecodeFailure) out.get(0)).status());

        EmbeddedChannel chunked = new EmbeddedChannel(Http1Decoder.forRequests(64, 1024, 10));
        chunked.writeInbound(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"));
        List<Object> c = drain(chunked);
        assertEquals(413, ((DecodeFailure) c.get(c.size() - 1)).status());
        for (EmbeddedChannel ch : List.of(line, longLineNoEnd, head, body, chunked)) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void keepsReceivedHeaderBytesExactly() {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("GET / HTTP/1.1\r\nhost: h\r\nx-lower: 1\r\nX-MiXeD:  spaced value  \r\nX-Obs: caf\u00e9\r\n\r\n"));
        RequestHead head = ch.readInbound();
        HeaderBlock h = head.headers();
        assertEquals(List.of("host", "x-lower", "X-MiXeD", "X-Obs"),
                List.of(h.name(0), h.name(1), h.name(2), h.name(3)));
        assertEquals("spaced value", h.get("x-mixed"), "optional whitespace around the value is not part of it");
        assertEquals("caf\u00e9", h.get("X-OBS"));
        ch.finishAndReleaseAll();
    }

    @Test
    void ignoresEmptyLinesBeforeARequest() {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertInstanceOf(RequestHead.class, ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void http10KeepAliveOnlyWhenAsked() {
        EmbeddedChannel ch = requests();
        ch.writeInbound(bytes("GET / HTTP/1.0\r\n\r\n"));
        RequestHead plain = ch.readInbound();
        assertEquals(false, plain.isKeepAlive());
        ch.readInbound();
        ch.pipeline().get(Http1Decoder.class).resume();
        ch.writeInbound(bytes("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        RequestHead ka = ch.readInbound();
        assertEquals(true, ka.isKeepAlive());
        ch.finishAndReleaseAll();
    }

    // ---------------------------------------------------------------------------------------------- responses

    private static EmbeddedChannel responses(boolean head) {
        Http1Decoder d = Http1Decoder.forResponses(32768);
        EmbeddedChannel ch = new EmbeddedChannel(d);
        d.expectResponse(head);
        return ch;
    }

    @Test
    void responseToHeadHasNoBodyWhateverItsContentLength() {
        EmbeddedChannel ch = responses(true);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"));
        List<Object> out = drain(ch);
        assertEquals(2, out.size());
        assertSame(LastChunk.EMPTY, out.get(1));
        ch.finishAndReleaseAll();
    }

    @Test
    void informationalResponsesComeBeforeTheFinalOne() {
        EmbeddedChannel ch = responses(false);
        ch.writeInbound(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        List<Object> out = drain(ch);
        assertEquals(100, ((ResponseHead) out.get(0)).status());
        assertEquals(103, ((ResponseHead) out.get(1)).status());
        assertEquals("</a.css>; rel=preload", ((ResponseHead) out.get(1)).headers().get("link"));
        assertEquals(200, ((ResponseHead) out.get(2)).status());
        assertEquals("ok", out.get(3));
        ch.finishAndReleaseAll();
    }

    @Test
    void aResponseWithoutLengthLastsUntilClose() {
        EmbeddedChannel ch = responses(false);
        ch.writeInbound(bytes("HTTP/1.0 200 OK\r\n\r\npart one "));
        ch.writeInbound(bytes("part two"));
        ResponseHead head = ch.readInbound();
        assertEquals(BodyKind.UNTIL_CLOSE, head.bodyKind());
        assertEquals(false, head.isKeepAlive());
        List<Object> body = drain(ch);
        assertEquals(List.of("part one ", "part two"), body);
        ch.close();
        assertSame(LastChunk.EMPTY, ch.readInbound(), "the close ends the body");
        ch.finishAndReleaseAll();
    }

    @Test
    void responseHeadsAreReadAsAProxyMust() {
        EmbeddedChannel ch = responses(false);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nX-Space : removed\r\nX-Fold: a\r\n  b\r\nContent-Length: 0\r\n\r\n"));
        ResponseHead head = ch.readInbound();
        assertEquals("X-Space", head.headers().name(0), "whitespace before the colon is removed");
        assertEquals("a b", head.headers().get("x-fold"), "obs-fold becomes one space");
        ch.finishAndReleaseAll();
    }

    @Test
    void chunkedWinsOverContentLengthInAResponse() {
        EmbeddedChannel ch = responses(false);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
        ResponseHead head = ch.readInbound();
        assertEquals(BodyKind.CHUNKED, head.bodyKind());
        assertNull(head.headers().get("Content-Length"), "never forwarded together with chunked");
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTX/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\u0000b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
    })
    void invalidResponsesAre502(String response) {
        EmbeddedChannel ch = responses(false);
        ch.writeInbound(bytes(response));
        DecodeFailure f = assertInstanceOf(DecodeFailure.class, ch.readInbound());
        assertEquals(502, f.status(), f.message());
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesFromAnIdleUpstreamAreAFailure() {
        EmbeddedChannel ch = new EmbeddedChannel(Http1Decoder.forResponses(32768));
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\n\r\n"));
        assertInstanceOf(DecodeFailure.class, ch.readInbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void tooLargeResponseHeadIs502() {
        Http1Decoder d = Http1Decoder.forResponses(128);
        EmbeddedChannel ch = new EmbeddedChannel(d);
        d.expectResponse(false);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nX: " + "a".repeat(200) + "\r\n\r\n"));
        assertEquals(502, ((DecodeFailure) ch.readInbound()).status());
        ch.finishAndReleaseAll();
    }

    @Test
    void after101TheRestIsHandedToTheTunnel() {
        Http1Decoder d = Http1Decoder.forResponses(32768);
        EmbeddedChannel ch = new EmbeddedChannel(d);
        d.expectResponse(false);
        ch.writeInbound(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframe-bytes"));
        assertEquals(101, ((ResponseHead) ch.readInbound()).status());
        assertNull(ch.readInbound(), "no HTTP decoding after 101");
        ByteBuf rest = d.detachRemaining();
        assertEquals("frame-bytes", rest.toString(StandardCharsets.US_ASCII));
        rest.release();
        ch.finishAndReleaseAll();
    }
}
