package dev.proxykit.netty.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
