package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.runtime.config.ForwardedSettings;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Headers, as Go's reverse-proxy tests and nginx define them, minus their traps: hop-by-hop fields removed both ways
 * (1xx responses included), directors applied after that, forwarded headers trusted only from trusted proxies,
 * names and values byte for byte, nothing invented.
 */
class HeaderForwardingIT {

    private static final List<String> FIXED_HOP_BY_HOP = List.of("Connection", "Proxy-Connection", "Keep-Alive",
            "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
            "HTTP2-Settings");

    @Test
    void requestHopByHopFieldsAreRemovedIncludingEveryNameAnyConnectionLineNames() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\n"
                    + "Connection: , X-Empty-First\r\n"          // an empty first value
                    + "CONNECTION: x-upper-named\r\n"            // any case, several lines
                    + "connection: keep-alive, X-Third\r\n"
                    + "X-Empty-First: 1\r\nX-Upper-Named: 2\r\nx-third: 3\r\n"
                    + "Proxy-Connection: keep-alive\r\nKeep-Alive: 300\r\nProxy-Authenticate: Basic\r\n"
                    + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nTE: deflate\r\nTrailer: X-T\r\n"
                    + "Upgrade: websocket\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
                    + "X-Kept: yes\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            for (String gone : List.of("X-Empty-First", "X-Upper-Named", "X-Third")) {
                assertNull(req.header(gone), gone + " was named by Connection");
            }
            for (String gone : FIXED_HOP_BY_HOP) {
                assertNull(req.header(gone), gone + " is hop-by-hop");
            }
            assertEquals("yes", req.header("X-Kept"));
        }
    }

    @Test
    void teTrailersSurvivesAndOtherTransferCodingsDoNot() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nTE: deflate, trailers;q=1\r\n\r\n");
            assertNull(up.takeRequest(5).header("TE"), "trailers with parameters is not the bare token");
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nTE: gzip, Trailers\r\n\r\n");
            assertEquals("trailers", up.takeRequest(5).header("TE"));
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nConnection: TE\r\nTE: trailers\r\n\r\n");
            assertEquals("trailers", up.takeRequest(5).header("TE"), "kept even when Connection names TE");
        }
    }

    @Test
    void responseHopByHopFieldsAreRemovedIncludingNamedOnes() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw("HTTP/1.1 200 OK\r\n"
                + "Connection: X-Private, , x-second\r\nConnection: keep-alive\r\nX-Private: secret\r\nX-Second: 2\r\n"
                + "Keep-Alive: timeout=5\r\nProxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\n"
                + "Upgrade: h2c\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nok"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            for (String gone : List.of("X-Private", "X-Second", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection",
                    "Upgrade", "Connection")) {
                assertNull(r.header(gone), gone + " reached the client");
            }
            assertEquals("yes", r.header("X-Public"));
            assertEquals("ok", r.bodyText());
            assertTrue(r.header("Date").matches("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d [A-Z][a-z]{2} \\d{4} "
                    + "\\d\\d:\\d\\d:\\d\\d GMT"), "RFC 9110 6.6.1: the Date the upstream left out: "
                    + r.header("Date"));
        }
    }

    @Test
    void informationalResponsesLoseTheirHopByHopFieldsToo() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw(
                "HTTP/1.1 103 Early Hints\r\nConnection: X-Hint\r\nX-Hint: private\r\nKeep-Alive: timeout=1\r\n"
                        + "Link: </style.css>; rel=preload; as=style\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            RawHttpClient.Response early = c.read();
            assertEquals(103, early.status());
            assertEquals("</style.css>; rel=preload; as=style", early.header("Link"));
            assertNull(early.header("X-Hint"));
            assertNull(early.header("Keep-Alive"));
            assertNull(early.header("Connection"));
            assertEquals("ok", c.read().bodyText());
        }
    }

    @Test
    void directorsRunAfterHopByHopRemovalSoAClientCannotStripWhatTheyAdd() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .director(r -> r.headers().set("X-Auth-User", "alice"))
                     .director(r -> r.headers().set("X-Request-Source", "proxy")));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Auth-User, X-Request-Source\r\n"
                    + "X-Auth-User: mallory\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals("alice", req.header("X-Auth-User"));
            assertEquals("proxy", req.header("X-Request-Source"));
            assertEquals(List.of("alice"), req.headers("X-Auth-User"), "exactly once");
        }
    }

    @Test
    void forwardedHeadersFromAnUntrustedClientAreDroppedAndSetFresh() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: client.test:8080\r\nX-Forwarded-For: 6.6.6.6\r\n"
                    + "x-forwarded-host: evil.test\r\nX-Forwarded-Proto: https\r\nForwarded: for=6.6.6.6;proto=https\r\n"
                    + "X-Forwarded-Prefix: /evil\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals(List.of("127.0.0.1"), req.headers("X-Forwarded-For"));
            assertEquals(List.of("client.test:8080"), req.headers("X-Forwarded-Host"), "describes the inbound request");
            assertEquals(List.of("http"), req.headers("X-Forwarded-Proto"));
            assertNull(req.header("Forwarded"));
            assertNull(req.header("X-Forwarded-Prefix"), "every X-Forwarded-* from the client is dropped");
        }
    }

    @Test
    void forwardedHeadersFromATrustedProxyAreKeptAndAppendedTo() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .trustedProxies("10.0.0.0/8", "127.0.0.1"));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: inner\r\nX-Forwarded-For: 203.0.113.7\r\n"
                    + "X-Forwarded-For: 10.1.1.1\r\nForwarded: for=203.0.113.7\r\nX-Forwarded-Host: outer.test\r\n"
                    + "X-Forwarded-Proto: https\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals("203.0.113.7, 10.1.1.1, 127.0.0.1", req.header("X-Forwarded-For"));
            assertEquals(1, req.headers("X-Forwarded-For").size());
            assertEquals("for=203.0.113.7", req.header("Forwarded"));
            assertEquals(List.of("outer.test"), req.headers("X-Forwarded-Host"),
                    "what the trusted proxy in front received, as Caddy keeps it");
            assertEquals(List.of("https"), req.headers("X-Forwarded-Proto"),
                    "the client asked the proxy in front for https");
            c.exchange("GET / HTTP/1.1\r\nHost: inner\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            TestUpstream.Request bare = up.takeRequest(5);
            assertEquals("inner", bare.header("X-Forwarded-Host"), "none received: the inbound request's Host");
            assertEquals("http", bare.header("X-Forwarded-Proto"));
        }
    }

    @Test
    void theAccessRecordNamesTheClientBehindTrustedProxiesAndOnlyThen() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(
                     EngineHarness.route().host("trusting").upstream(up.url())
                             .trustedProxies("10.0.0.0/8", "127.0.0.1"),
                     EngineHarness.route().upstream(up.url())), l -> { });
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: trusting\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n"
                    + "X-Forwarded-For: 10.1.1.1\r\n\r\n");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("203.0.113.7", rec.realClientIp(), "the rightmost hop that is not a trusted proxy");
            assertEquals("127.0.0.1", rec.clientAddress().getAddress().getHostAddress(), "the peer stays");
            c.exchange("GET / HTTP/1.1\r\nHost: trusting\r\n\r\n");
            assertNull(proxy.accessLog().take(5).realClientIp(), "no X-Forwarded-For: the peer is the client");
            c.exchange("GET / HTTP/1.1\r\nHost: other\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
            assertNull(proxy.accessLog().take(5).realClientIp(), "from a peer the route does not trust: ignored");
        }
    }

    @Test
    void aRequestThatMatchesNoRouteHasItsRealClientFromTheGlobalTrustedProxies() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().host("only").upstream(up.url())),
                     s -> s.trustedProxies = List.of("127.0.0.1"));
             RawHttpClient c = proxy.client()) {
            assertEquals(404, c.exchange("GET / HTTP/1.1\r\nHost: elsewhere\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n")
                    .status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(404, rec.status());
            assertEquals("203.0.113.7", rec.realClientIp());
        }
    }

    @Test
    void aRouteCanSwitchEachForwardedHeaderOff() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .forwarded(new ForwardedSettings(false, false, false, List.of(), null)));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertNull(req.header("X-Forwarded-For"), "off, and the client's value is still dropped");
            assertNull(req.header("X-Forwarded-Host"));
            assertNull(req.header("X-Forwarded-Proto"));
        }
    }

    @Test
    void headerNamesKeepTheirCaseAndRepeatedFieldsTheirOrderBothWays() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw("HTTP/1.1 200 OK\r\n"
                + "set-cookie: a=1; Path=/\r\nSET-COOKIE: b=2\r\nSet-Cookie: c=3; HttpOnly\r\nx-lower: l\r\n"
                + "X-MiXeD: m\r\nVary: Accept\r\nvary: Origin\r\nContent-Length: 0\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nhOsT: h\r\nx-lower: 1\r\nX-MiXeD: 2\r\n"
                    + "accept: a\r\nACCEPT: b\r\nCookie: x=1\r\ncookie: y=2\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals(List.of("hOsT", "x-lower", "X-MiXeD", "accept", "ACCEPT", "Cookie", "cookie"),
                    req.headerNames().subList(0, 7), "request names in their case and order");
            assertEquals(List.of("a", "b"), req.headers("Accept"));
            assertTrue(r.rawHead().contains("set-cookie: a=1; Path=/\r\nSET-COOKIE: b=2\r\nSet-Cookie: c=3; HttpOnly\r\n"
                    + "x-lower: l\r\nX-MiXeD: m\r\nVary: Accept\r\nvary: Origin\r\n"), r.rawHead());
        }
    }

    @Test
    void obsTextValuesPassThroughUnchangedBothWays() throws Exception {
        String obs = "caf\u00e9 \u00ff\u0080";
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw("HTTP/1.1 200 OK\r\nX-Back: " + obs
                + "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Name: " + obs + "\r\n\r\n");
            assertEquals(obs, up.takeRequest(5).header("X-Name"));
            assertEquals(obs, r.header("X-Back"));
            assertEquals(List.of("Sun, 06 Nov 1994 08:49:37 GMT"), r.headers().stream()
                    .filter(f -> f[0].equalsIgnoreCase("Date")).map(f -> f[1]).toList(), "the upstream's Date, alone");
        }
    }

    @Test
    void noUserAgentIsInventedAndNoViaUnlessConfigured() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, "ok", "Via", "1.0 upstream-cache"));
             EngineHarness plain = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             EngineHarness via = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .forwarded(new ForwardedSettings(true, true, true, List.of(), "edge-proxy")));
             RawHttpClient c1 = plain.client();
             RawHttpClient c2 = via.client()) {
            RawHttpClient.Response r1 = c1.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            TestUpstream.Request q1 = up.takeRequest(5);
            assertNull(q1.header("User-Agent"));
            assertNull(q1.header("Via"));
            assertEquals("1.0 upstream-cache", r1.header("Via"), "the upstream's Via is left alone");

            RawHttpClient.Response r2 = c2.exchange("GET / HTTP/1.1\r\nHost: h\r\nVia: 1.1 client-proxy\r\n\r\n");
            assertEquals("1.1 client-proxy, 1.1 edge-proxy", up.takeRequest(5).header("Via"));
            assertEquals("1.0 upstream-cache, 1.1 edge-proxy", r2.header("Via"), "both directions");
            assertFalse(r2.headerNames().contains("User-Agent"));
        }
    }
}
