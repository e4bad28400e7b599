package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The request target goes upstream byte for byte (Go's router would clean it and redirect //a to /a), unless
 * merge-slashes is on; absolute-form is accepted and sent upstream in origin-form, never forward-proxied, and its
 * authority must be a valid Host; other forms only where RFC 9112 allows them; CONNECT is refused and the connection
 * closed.
 */
class RequestTargetIT {

    @Test
    void targetsAreForwardedByteForByte() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            for (String target : List.of("//a//b", "/a/../b", "/./a/./b/", "/a%2Fb%2f", "/%zz/%", "/p?a=1;b=2",
                    "/p?z=1&a=2&m=3&a=0", "/p?", "/p?q=a+b%20c", "/p#frag", "/caf\u00e9/\u00ff", "/a/b/..",
                    "/~user/:colon@at!$&'()*+,;=")) {
                assertEquals(200, c.exchange("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").status(), target);
                assertEquals("GET " + target + " HTTP/1.1", up.takeRequest(5).requestLine(), target);
            }
        }
    }

    @Test
    void asteriskFormReachesTheUpstreamForOptions() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("OPTIONS * HTTP/1.1", up.takeRequest(5).requestLine());
        }
    }

    @Test
    void mergeSlashesCollapsesSlashRunsInThePathOnly() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()).mergeSlashes(true));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET //a///b/ HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("GET /a/b/ HTTP/1.1", up.takeRequest(5).requestLine());
            c.exchange("GET //a?next=//x//y HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("GET /a?next=//x//y HTTP/1.1", up.takeRequest(5).requestLine(), "the query is untouched");
        }
    }

    @Test
    void routeMatchingSeesTheRawPath() throws Exception {
        try (TestUpstream api = TestUpstream.echo("api");
             TestUpstream other = TestUpstream.echo("other");
             EngineHarness proxy = EngineHarness.start(List.of(
                     EngineHarness.route().name("api").pathPrefix("/api/").upstream(api.url()).mergeSlashes(true),
                     EngineHarness.route().name("rest").upstream(other.url())), s -> { });
             RawHttpClient c = proxy.client()) {
            assertEquals("upstream api", c.exchange("GET /api/x HTTP/1.1\r\nHost: h\r\n\r\n").bodyText().split("\n")[0]);
            assertEquals("upstream other", c.exchange("GET //api/x HTTP/1.1\r\nHost: h\r\n\r\n").bodyText().split("\n")[0],
                    "//api/ does not start with /api/: matching uses the raw path, even with merge-slashes");
        }
    }

    @Test
    void absoluteFormIsAcceptedAndSentToTheRoutesUpstreamInOriginForm() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            String[][] cases = {
                {"http://other.test/p?q=1", "/p?q=1", "other.test"},
                {"HTTP://Other.Test:8080", "/", "Other.Test:8080"},
                {"https://x.test?only=query", "/?only=query", "x.test"},
                {"http://y.test//double//slash", "//double//slash", "y.test"},
            };
            for (String[] cs : cases) {
                assertEquals(200, c.exchange("GET " + cs[0] + " HTTP/1.1\r\nHost: ignored.test\r\n\r\n").status());
                TestUpstream.Request req = up.takeRequest(5);
                assertEquals("GET " + cs[1] + " HTTP/1.1", req.requestLine(), cs[0]);
                assertEquals(cs[2], req.header("Host"), "RFC 9112 3.2.2: the target's authority wins over Host");
            }
            assertEquals("http://other.test/p?q=1", proxy.accessLog().take(5).target(),
                    "the access log shows the target as the client sent it");
        }
    }

    @Test
    void absoluteFormNeverTurnsTheProxyIntoAForwardProxy() throws Exception {
        try (TestUpstream routed = TestUpstream.echo("routed");
             TestUpstream elsewhere = TestUpstream.echo("elsewhere");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(routed.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET http://127.0.0.1:" + elsewhere.port()
                    + "/secret HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("upstream routed", r.bodyText().split("\n")[0]);
            assertNull(elsewhere.pollRequest(200), "the host named in the target was never contacted");
        }
    }

    @Test
    void absoluteFormTargetsAreMatchedByTheirAuthority() throws Exception {
        try (TestUpstream a = TestUpstream.echo("a");
             TestUpstream b = TestUpstream.echo("b");
             EngineHarness proxy = EngineHarness.start(List.of(
                     EngineHarness.route().name("a").host("a.test").upstream(a.url()),
                     EngineHarness.route().name("b").host("b.test").upstream(b.url())), s -> { });
             RawHttpClient c = proxy.client()) {
            assertEquals("upstream b", c.exchange("GET http://b.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
                    .bodyText().split("\n")[0]);
        }
    }

    @Test
    void connectIsRefusedWith405AndTheConnectionClosedSoEarlyTunnelBytesAreNeverReadAsRequests() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
                    + "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.Response r = c.read();
            assertEquals(405, r.status());
            assertEquals("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE", r.header("Allow"));
            assertEquals("close", r.header("Connection"));
            assertTrue(c.isClosedByPeer(5000), "closed after the 405, as nginx does");
            assertNull(up.pollRequest(200), "the bytes after the CONNECT head never reached an upstream");
        }
    }

    @Test
    void aTargetOfTheWrongFormOrAnAbsoluteFormAuthorityThatIsNoValidHostIsRefusedWith400() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            for (String target : List.of("x", "*", "example.com:80", "ftp://e.com/x", "http://u:p@example.com/abs",
                    "http://good#@evil/x", "http://h:abc/x", "http:///x", "http://", "http://h:99999/x",
                    "http://h:65536/x", "http://h:123456789012345678901/x")) {
                try (RawHttpClient c = proxy.client()) {
                    assertEquals(400, c.exchange("GET " + target + " HTTP/1.1\r\nHost: example.com\r\n\r\n").status(),
                            target);
                }
            }
            for (String host : List.of("a:99999", "a:65536", "a:00000080")) {
                try (RawHttpClient c = proxy.client()) {
                    assertEquals(400, c.exchange("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").status(), host);
                }
            }
            assertNull(up.pollRequest(200), "none reached the upstream");
            try (RawHttpClient c = proxy.client()) {
                assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: a:65535\r\n\r\n").status(), "the highest port");
            }
        }
    }

    /**
     * RFC 9110 2.5: a higher minor version is served as the highest one supported, another major version is 505;
     * RFC 9110 10.1.1: an HTTP/1.0 client's 100-continue is ignored, so the upstream never waits for a go-ahead.
     */
    @Test
    void http12IsServedAsHttp11AndAnHttp10ExpectationIsNotSentUpstream() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET /x HTTP/1.2\r\nHost: h\r\n\r\n").status());
            assertEquals("GET /x HTTP/1.1", up.takeRequest(5).requestLine());
            assertEquals(200, c.exchange("POST /x HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi").status());
            assertNull(up.takeRequest(5).header("Expect"));
            assertEquals(505, c.exchange("GET /x HTTP/2.0\r\nHost: h\r\n\r\n").status());
        }
    }

    @Test
    void anHttp10RequestWithoutHostGoesUpstreamWithTheUpstreamsAuthorityAsHost() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET /x HTTP/1.0\r\n\r\n").status());
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals("GET /x HTTP/1.1", req.requestLine());
            assertEquals("127.0.0.1:" + up.port(), req.header("Host"), "HTTP/1.1 upstream requests need a Host");
            assertNull(req.header("X-Forwarded-Host"), "the client named no host");
        }
    }
}
