package dev.proxykit.netty.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Response heads: the one-pass reading of common lines and the line-by-line reading of the others agree; request
 * lines keep their method and reason phrases exactly as received.
 */
class HeadParserTest {

    private static ResponseHead response(String head) throws HttpParseException {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        return HeadParser.parseResponse(b, b.length, false);
    }

    private static List<String> fields(HeaderBlock h) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < h.size(); i++) {
            out.add(h.name(i) + "=" + h.value(i));
        }
        return out;
    }

    @Test
    void commonAndUnusualLinesMixedGiveTheFieldsAProxyMustForward() throws HttpParseException {
        ResponseHead r = response("HTTP/1.1 200 OK\r\nA:1\r\nB: \t two  \r\nC: x\nD : d\r\nE: e\r\n  f \r\n"
                + "Empty:\r\nObs: caf\u00e9\r\nContent-Length: 3\r\n\r\n");
        assertEquals(List.of("A=1", "B=two", "C=x", "D=d", "E=e f", "Empty=", "Obs=caf\u00e9", "Content-Length=3"),
                fields(r.headers()));
        assertEquals(3, r.contentLength());
    }

    static Stream<Arguments> invalidLines() {
        return Stream.of(
                Arguments.of("X: a\rb\r\n", "bare CR in the response head"),
                Arguments.of("X: a\u0000b\r\n", "invalid character 0x0 in a header value"),
                Arguments.of("X: a\u007f\r\n", "invalid character 0x7f in a header value"),
                Arguments.of("X a\r\n", "invalid header line"),
                Arguments.of(": a\r\n", "invalid header line"),
                Arguments.of("X\u0001: a\r\n", "invalid header line"),
                Arguments.of("X: a", "unterminated line"),
                Arguments.of("X: a\r\n", "unterminated header block"),
                Arguments.of(" X: a\r\n", "whitespace before the first header line"));
    }

    @ParameterizedTest
    @MethodSource("invalidLines")
    void invalidLinesAreRefusedWithTheSameReasonAsBefore(String fields, String reason) {
        HttpParseException e = assertThrows(HttpParseException.class, () -> response("HTTP/1.1 200 OK\r\n" + fields));
        assertEquals(502, e.status());
        assertEquals(reason, e.getMessage());
    }

    @Test
    void aResponseGoesOnWithOneContentLengthNumberAndNoneWhereItMustNotBe() throws HttpParseException {
        ResponseHead list = response("HTTP/1.1 200 OK\r\ncontent-length: 2, 2\r\nX: 1\r\nContent-Length: 2\r\n\r\n");
        assertEquals(List.of("content-length=2", "X=1"), fields(list.headers()), "one field, where it was, as named");
        assertEquals(2, list.contentLength());
        ResponseHead noContent = response("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX: 1\r\n\r\n");
        assertEquals(List.of("X=1"), fields(noContent.headers()), "RFC 9110 8.6: no Content-Length in a 204");
        assertEquals(BodyKind.NONE, noContent.bodyKind());
        ResponseHead notModified = response("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
        assertEquals(List.of("Content-Length=5"), fields(notModified.headers()), "a 304 may say how long it would be");
    }

    @Test
    void aResponseWithBothLengthAndChunkedIsFramedByChunkedAndItsConnectionNotReused() throws HttpParseException {
        ResponseHead r = response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertEquals(BodyKind.CHUNKED, r.bodyKind());
        assertEquals(List.of("Transfer-Encoding=chunked"), fields(r.headers()));
        assertEquals(false, r.isKeepAlive(), "RFC 9112 6.3: likely smuggling; the connection is not pooled again");
        assertEquals(true, response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").isKeepAlive());
        ResponseHead notModified = response("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
        assertEquals(List.of("Transfer-Encoding=chunked"), fields(notModified.headers()),
                "RFC 9112 6.3: the Content-Length of a message with both is removed, bodyless too");
        assertEquals(false, notModified.isKeepAlive());
        byte[] head = bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        ResponseHead toHead = HeadParser.parseResponse(head, head.length, true);
        assertEquals(List.of("Transfer-Encoding=chunked"), fields(toHead.headers()), "the answer to a HEAD as well");
    }

    /** RFC 9110 5.6.1: empty list elements do not count; "chunked" then an empty line still ends in chunked. */
    @ParameterizedTest
    @ValueSource(strings = {"Transfer-Encoding: chunked\r\nTransfer-Encoding: \r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: ,\r\n", "Transfer-Encoding: chunked, \r\n",
        "Transfer-Encoding: ,chunked\r\n"})
    void emptyTransferCodingElementsDoNotHideTheFinalChunked(String fields) throws HttpParseException {
        ResponseHead r = response("HTTP/1.1 200 OK\r\n" + fields + "\r\n");
        assertEquals(BodyKind.CHUNKED, r.bodyKind());
        assertEquals(null, r.codingsBesideChunked(), "nothing else to announce");
    }

    /** Fields separated by ";" here. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Transfer-Encoding: chunked, gzip|chunked is not the final transfer coding",
        "Transfer-Encoding: chunked;Transfer-Encoding: chunked|chunked is not the final transfer coding",
        "Transfer-Encoding: ,|Transfer-Encoding without a coding"})
    void aResponseWhoseCodingsCannotBeFramedIs502(String fields, String reason) {
        HttpParseException e = assertThrows(HttpParseException.class,
                () -> response("HTTP/1.1 200 OK\r\n" + fields.replace(";", "\r\n") + "\r\n\r\n"));
        assertEquals(502, e.status());
        assertEquals(reason, e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest
    @MethodSource("methods")
    void theMethodIsTheReceivedOneExactlyWhetherUsualOrNot(String method) throws HttpParseException {
        byte[] b = (method + " /x HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(method, HeadParser.parseRequest(b, b.length).method());
    }

    static Stream<String> methods() {
        return Stream.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get", "GETS", "GE", "PROPFIND",
                "CONNECTX", "M-SEARCH");
    }

    @Test
    void theReasonPhraseIsTheReceivedOne() throws HttpParseException {
        assertEquals("OK", response("HTTP/1.1 200 OK\r\n\r\n").reason());
        assertEquals("Ok", response("HTTP/1.1 200 Ok\r\n\r\n").reason());
        assertEquals("OKAY", response("HTTP/1.1 200 OKAY\r\n\r\n").reason());
        assertEquals("", response("HTTP/1.1 200\r\n\r\n").reason());
        assertEquals("Not Found", response("HTTP/1.1 404 Not Found\r\n\r\n").reason());
    }

    @Test
    void newlinesAreCountedAtEveryOffsetAndLengthAndNoOtherByteCounts() {
        java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] b = new byte[random.nextInt(64)];
            for (int i = 0; i < b.length; i++) {
                // '\n' among its neighbours and the bytes a borrow or carry could confuse with it
                byte[] choices = {'\n', '\n' + 1, '\n' - 1, 0, (byte) 0x8A, (byte) 0xFF, 'a', '\r'};
                b[i] = choices[random.nextInt(choices.length)];
            }
            int from = b.length == 0 ? 0 : random.nextInt(b.length);
            int to = from + random.nextInt(b.length - from + 1);
            int expected = 0;
            for (int i = from; i < to; i++) {
                expected += b[i] == '\n' ? 1 : 0;
            }
            assertEquals(expected, HeadParser.countNewlines(b, from, to), java.util.Arrays.toString(b) + " " + from
                    + ".." + to);
        }
    }
}
