package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.proxykit.netty.http1.HeaderBlock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HopByHopTest {

    private static HeaderBlock headers(String... nameValues) {
        HeaderBlock h = new HeaderBlock(nameValues.length / 2);
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    private static List<String> names(HeaderBlock h) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < h.size(); i++) {
            names.add(h.name(i));
        }
        return names;
    }

    @Test
    void removesEveryFieldTheConnectionHeaderNamesWithSpacesAndCaseIgnored() {
        HeaderBlock h = headers("Connection", " keep-alive ,X-Secret,  x-other\t", "X-Secret", "1", "X-Other", "2",
                "X-Kept", "3", "Keep-Alive", "timeout=5");
        HopByHop.strip(h, false);
        assertEquals(List.of("X-Kept"), names(h));
    }

    @Test
    void closeAndEmptyTokensNameNoField() {
        HeaderBlock h = headers("Connection", "close,, ,", "Close", "kept: a field named Close is not hop-by-hop",
                "X-Kept", "1");
        HopByHop.strip(h, false);
        assertEquals(List.of("Close", "X-Kept"), names(h));
    }

    @Test
    void hostAndContentLengthSurviveBeingNamedInConnection() {
        HeaderBlock h = headers("Host", "a", "Content-Length", "3", "Connection", "Host, Content-Length, TE",
                "TE", "trailers");
        HopByHop.strip(h, true);
        assertEquals(List.of("Host", "Content-Length", "TE"), names(h));
        assertEquals("trailers", h.get("TE"));
    }

    @Test
    void returnsTheUpgradeValueItRemoves() {
        HeaderBlock h = headers("Connection", "Upgrade", "Upgrade", "websocket");
        assertEquals("websocket", HopByHop.strip(h, false));
        assertEquals(0, h.size());
        assertNull(HopByHop.strip(headers("X-A", "1"), false));
    }

    @Test
    void aTokenThatIsNotAFieldNameRemovesNothing() {
        HeaderBlock h = headers("Connection", "x y, \"q\"", "X-Y", "1");
        HopByHop.strip(h, false);
        assertEquals(List.of("X-Y"), names(h));
    }

    @Test
    void everyFixedNameGoesInAnyCaseAndFieldsOfTheSameLengthStayInOrder() {
        HeaderBlock h = headers("x-before", "0", "CONNECTION", "keep-alive", "proxy-connection", "a", "KEEP-alive", "b",
                "Proxy-Authenticate", "c", "proxy-AUTHORIZATION", "d", "te", "gzip", "trailer", "e",
                "transfer-ENCODING", "chunked", "upgrade", "h2c", "Upgrade", "second", "http2-settings", "f",
                "User-Agent", "10 like Connection", "Content-Length", "14 like HTTP2-Settings", "Referer", "7",
                "Te-X", "4", "X-After", "1");
        assertEquals("h2c", HopByHop.strip(h, true)); // the first Upgrade; TE without "trailers" is not kept
        assertEquals(List.of("x-before", "User-Agent", "Content-Length", "Referer", "Te-X", "X-After"), names(h));
        assertEquals("10 like Connection", h.get("user-agent"));
    }

    @Test
    void aRequestKeepsTeTrailersFromAnyTeFieldAndAResponseDoesNot() {
        HeaderBlock request = headers("X-B", "0", "te", "gzip", "TE", "deflate, trailers", "X-A", "1");
        HopByHop.strip(request, true);
        assertEquals(List.of("X-B", "te", "X-A"), names(request), "the first TE, in place, named as received");
        assertEquals("trailers", request.get("TE"));
        HeaderBlock response = headers("TE", "trailers", "X-A", "1");
        HopByHop.strip(response, false);
        assertEquals(List.of("X-A"), names(response));
    }
}
