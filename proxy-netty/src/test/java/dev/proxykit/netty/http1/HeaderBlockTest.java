package dev.proxykit.netty.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderBlockTest {

    private static HeaderBlock received(String fields) throws HttpParseException {
        byte[] head = ("GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        return HeadParser.parseRequest(head, head.length).headers();
    }

    @Test
    void nameStartsWithComparesReceivedNamesIgnoringCase() throws HttpParseException {
        HeaderBlock h = received("X-Forwarded-For: 1.2.3.4\r\nx-FORWARDED-proto: http\r\nX-Forward: no\r\nX: y\r\n");
        assertTrue(h.nameStartsWith(1, "x-forwarded-"));
        assertTrue(h.nameStartsWith(2, "x-forwarded-"));
        assertFalse(h.nameStartsWith(3, "x-forwarded-"), "shorter than the prefix");
        assertFalse(h.nameStartsWith(4, "x-forwarded-"));
        assertFalse(h.nameStartsWith(0, "x-forwarded-"));
        assertEquals("x-FORWARDED-proto", h.name(2), "the name keeps its received case");
    }

    @Test
    void nameStartsWithSeesAddedAndAlreadyReadNames() throws HttpParseException {
        HeaderBlock h = received("X-Forwarded-Host: a\r\n").copy();
        h.name(1);
        h.add("X-Forwarded-Proto", "https");
        assertTrue(h.nameStartsWith(1, "X-FORWARDED-"));
        assertTrue(h.nameStartsWith(2, "x-forwarded-"));
        assertFalse(h.nameStartsWith(0, "x-forwarded-"));
    }

    @Test
    void parsedBlocksHoldEveryFieldWhateverTheirNumber() throws HttpParseException {
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            fields.append("F").append(i).append(": v").append(i).append("\r\n");
        }
        HeaderBlock h = received(fields.toString());
        assertEquals(41, h.size());
        assertEquals("v39", h.get("f39"));
        HeaderBlock copy = h.copy();
        copy.add("X-Added", "1");
        assertEquals(42, copy.size());
        assertEquals("1", copy.get("x-added"));
    }

    private static String encoded(HeaderBlock h) {
        ByteBuf out = Unpooled.buffer();
        try {
            h.encode(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void encodingKeepsReceivedLinesAndRewritesOnlyWhatChangedOrWasNotInCanonicalForm() throws HttpParseException {
        HeaderBlock h = received("A: 1\r\nB:  2 \r\nC: 3\r\nd:4\r\nE: 5\r\nF: 6\r\nG: 7\r\n").copy();
        assertEquals("Host: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nd: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\n", encoded(h),
                "extra whitespace is dropped, a missing space added");
        h.remove("C");
        h.setValue(h.indexOf("F", 0), "x");
        h.add("H", "8");
        assertEquals("Host: h\r\nA: 1\r\nB: 2\r\nd: 4\r\nE: 5\r\nF: x\r\nG: 7\r\nH: 8\r\n", encoded(h));
        h.removeAt(0);
        h.removeAt(h.size() - 1);
        assertEquals("A: 1\r\nB: 2\r\nd: 4\r\nE: 5\r\nF: x\r\nG: 7\r\n", encoded(h));
    }

    @Test
    void contentLengthAndListElementsAreReadFromTheReceivedBytesAndFromChangedValues() throws HttpParseException {
        HeaderBlock h = received("Content-Length: 42\r\nX-L: 7 ,7,\t7\r\nX-Bad: 7, 8\r\nX-Empty: 7,\r\n"
                + "X-Long: 1234567890123456789\r\nConnection: Keep-Alive , Upgrade\r\nX-C: keep-alive-not\r\n").copy();
        assertEquals(42, h.contentLength(1));
        assertEquals(7, h.contentLength(2), "a list of equal values");
        assertEquals(-1, h.contentLength(3), "differing values");
        assertEquals(-1, h.contentLength(4), "an empty element");
        assertEquals(-1, h.contentLength(5), "more than 18 digits");
        assertEquals(-1, h.contentLength(6));
        assertTrue(h.valueListContains(6, "keep-alive"));
        assertTrue(h.valueListContains(6, "upgrade"));
        assertFalse(h.valueListContains(6, "close"));
        assertFalse(h.valueListContains(7, "keep-alive"), "a longer element is not the token");
        h.setValue(1, " 43 ");
        assertEquals(43, h.contentLength(1));
        h.setValue(6, "close");
        assertTrue(h.valueListContains(6, "CLOSE"));
        assertFalse(h.valueListContains(6, "keep-alive"));
        assertTrue(h.valueContains(2, ','), "received bytes");
        assertFalse(h.valueContains(1, ','), "a changed value");
        h.setValue(1, "43, 43");
        assertTrue(h.valueContains(1, ','));
    }

    @Test
    void valueEqualsIgnoreCaseReadsReceivedBytesAndChangedValues() throws HttpParseException {
        HeaderBlock h = received("Connection: Keep-Alive\r\nX-A: close \r\nX-B: closed\r\n").copy();
        assertTrue(h.valueEqualsIgnoreCase(1, "keep-alive"));
        assertFalse(h.valueEqualsIgnoreCase(1, "close"));
        assertTrue(h.valueEqualsIgnoreCase(2, "CLOSE"), "surrounding whitespace is not part of the value");
        assertFalse(h.valueEqualsIgnoreCase(3, "close"), "a longer value");
        h.setValue(3, "Close");
        assertTrue(h.valueEqualsIgnoreCase(3, "close"));
    }

    @Test
    void stringsMadeOrGivenSurviveCopiesRemovalsAndGrowth() throws HttpParseException {
        HeaderBlock h = received("A: 1\r\nB: 2\r\nC: 3\r\n");
        assertEquals("2", h.value(2), "a String made for a received field");
        HeaderBlock copy = h.copy();
        copy.setValue(3, "three");
        copy.removeAt(1);
        for (int i = 0; i < 20; i++) {
            copy.add("X-" + i, "v" + i);
        }
        copy.remove("X-3");
        assertTrue(encoded(copy).startsWith("Host: h\r\nB: 2\r\nC: three\r\nX-0: v0\r\n"), encoded(copy));
        assertEquals("v19", copy.get("x-19"));
        assertEquals(null, copy.get("x-3"));
        assertEquals(22, copy.size());
        assertEquals("3", h.get("C"), "the original keeps its value");
        assertEquals(4, h.size());
    }
}
