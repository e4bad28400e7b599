package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hot path end to end: real sockets, a real upstream, the engine without plugins or config files. */
class ProxyEngineIT {

    @Test
    void forwardsARequestAndRelaysTheResponse() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET /hello?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n");
            assertEquals(200, r.status());
            assertTrue(r.bodyText().startsWith("upstream a\nGET /hello?x=1 HTTP/1.1\r\n"), r.bodyText());
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals("example.test", req.header("Host"), "the client's Host is kept by default");
            assertEquals("127.0.0.1", req.header("X-Forwarded-For"));
            assertEquals("example.test", req.header("X-Forwarded-Host"));
            assertEquals("http", req.header("X-Forwarded-Proto"));
            assertNull(req.header("User-Agent"), "no User-Agent is invented");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(200, rec.status());
            assertEquals("/hello?x=1", rec.target());
            assertEquals(up.address().getAddress().getHostAddress() + ":" + up.port(), rec.upstream());
            assertNull(rec.failureReason());
        }
    }

    /**
     * proxykit.upstream-receive-buffer becomes each upstream connection's SO_RCVBUF, which Linux doubles: read back
     * with ss from the pooled connection. 96 KiB is under Linux's default net.core.rmem_max (208 KiB), so it is set
     * wherever this runs, and differs from the buffer a connection starts with under automatic sizing (128 KiB).
     */
    @Test
    void upstreamConnectionsGetTheConfiguredReceiveBuffer() throws Exception {
        int configured = 96 * 1024;
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.upstreamReceiveBuffer = configured);
             RawHttpClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status());
            Process ss = new ProcessBuilder("ss", "-tmnH", "state", "established", "dport", "=", ":" + up.port())
                    .redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, ss.waitFor(), out);
            assertTrue(out.contains("rb" + 2 * configured), "the pooled upstream connection: " + out);
        }
    }

    @Test
    void aLoggerThatIsOffGetsNoRecordsAndTheTrafficIsUnchanged() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            proxy.accessLog().enabled(false);
            assertEquals(200, c.exchange("GET /off HTTP/1.1\r\nHost: h\r\n\r\n").status());
            try (RawHttpClient bad = proxy.client()) {
                assertEquals(400, bad.exchange("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status());
            }
            assertNull(proxy.accessLog().poll(300), "no record while off");
            proxy.accessLog().enabled(true);
            assertEquals(200, c.exchange("GET /on HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals("/on", proxy.accessLog().take(5).target());
        }
    }

    @Test
    void headerNameCaseIsPreservedBothWays() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, "ok",
                "x-lower-response", "1", "X-MiXeD-Response", "2", "SET-COOKIE", "a=1", "set-cookie", "b=2"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange(
                    "GET / HTTP/1.1\r\nhost: h\r\nx-lower: 1\r\nX-MiXeD: 2\r\nX-OBS: caf\u00e9\r\n\r\n");
            assertEquals(200, r.status());
            List<String> sent = up.takeRequest(5).headerNames();
            assertTrue(sent.containsAll(List.of("host", "x-lower", "X-MiXeD", "X-OBS")), sent.toString());
            assertTrue(r.headerNames().containsAll(List.of("x-lower-response", "X-MiXeD-Response")),
                    r.headerNames().toString());
            assertEquals(List.of("a=1", "b=2"), r.headers("set-cookie"), "Set-Cookie lines kept in order");
            assertTrue(r.rawHead().contains("SET-COOKIE: a=1\r\nset-cookie: b=2\r\n"), r.rawHead());
        }
    }

    @Test
    void obsTextInValuesPassesThroughUnchanged() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\u00e9 \u00ff\r\n\r\n");
            assertEquals("caf\u00e9 \u00ff", up.takeRequest(5).header("X-Name"));
        }
    }

    @Test
    void requestTargetGoesUpstreamByteForByte() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            for (String target : List.of("//a//b?x=1;y", "/a/../b", "/a%2Fb?q=%zz&b=2&a=1", "/x?")) {
                assertEquals(200, c.exchange("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n").status());
                assertEquals("GET " + target + " HTTP/1.1", up.takeRequest(5).requestLine());
            }
        }
    }

    @Test
    void upstreamConnectionsAreReusedAfterCompleteExchanges() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.workers = 1);
             RawHttpClient c = proxy.client()) {
            for (int i = 0; i < 5; i++) {
                assertEquals(200, c.exchange("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n").status());
            }
            assertEquals(1, up.connections(), "one keep-alive upstream connection serves all five");
        }
    }

    @Test
    void refusedUpstreamGives502() throws Exception {
        int closedPort = TestUpstream.closedPort();
        try (EngineHarness proxy = EngineHarness.start(
                     EngineHarness.route().upstream("http://127.0.0.1:" + closedPort));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(502, r.status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(502, rec.status());
            assertEquals("upstream_refused", rec.failureReason());
            assertEquals(Phase.CONNECT, rec.failurePhase());
            // the client connection survives a 502 for a complete request
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }
    }

    @Test
    void aRequestBodyIsDiscardedAfterAnEarlyErrorAndTheConnectionCarriesOn() throws Exception {
        int closedPort = TestUpstream.closedPort();
        try (EngineHarness proxy = EngineHarness.start(
                     EngineHarness.route().upstream("http://127.0.0.1:" + closedPort));
             RawHttpClient c = proxy.client()) {
            c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n");
            assertEquals(502, c.read().status(), "answered before the body was sent");
            c.send(new byte[200_000]);
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                    "the body was read and dropped; the next request is understood");
        }
    }

    @Test
    void silentUpstreamGives504AfterTheResponseHeaderTimeout() throws Exception {
        try (TestUpstream up = TestUpstream.start("silent", (req, res) -> {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .timeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(10)));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(504, r.status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("upstream_response_header_timeout", rec.failureReason());
            assertEquals(Phase.AWAIT_RESPONSE_HEAD, rec.failurePhase());
        }
    }

    @Test
    void clientThatHangsUpFirstIsLoggedAs499AndTheUpstreamConnectionIsClosed() throws Exception {
        java.util.concurrent.CountDownLatch upstreamSawClose = new java.util.concurrent.CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("slow", (req, res) -> {
                // wait until the proxy closes this connection (it must, once the client is gone)
                try {
                    Thread.sleep(3_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                res.send(200, "late");
                upstreamSawClose.countDown();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            RawHttpClient c = proxy.client();
            c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
            up.takeRequest(5);
            c.close();
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(499, rec.status());
            assertEquals("client_closed", rec.failureReason());
            assertEquals(Phase.AWAIT_RESPONSE_HEAD, rec.failurePhase());
            assertTrue(rec.totalNanos() < Duration.ofSeconds(3).toNanos(), "logged when the client left, not later");
        }
    }

    @Test
    void badRequestsGet400AndNeverReachTheUpstream() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            for (String bad : List.of(
                    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n",
                    "GET / HTTP/1.1\nHost: h\n\n",
                    "GET / HTTP/1.1\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")) {
                try (RawHttpClient c = proxy.client()) {
                    RawHttpClient.Response r = c.exchange(bad);
                    assertEquals(400, r.status(), bad);
                    assertEquals("close", r.header("Connection"), bad);
                    assertTrue(c.isClosedByPeer(2000), "connection closed after " + bad);
                }
            }
            assertNull(up.pollRequest(200), "nothing reached the upstream");
            try (RawHttpClient c = proxy.client()) {
                assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status(), "next client served");
            }
        }
    }

    @Test
    void noLiveUpstreamGives503() throws Exception {
        try (EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream("http://127.0.0.1:9")
                     .selector(live -> request -> null));
             RawHttpClient c = proxy.client()) {
            assertEquals(503, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("no_live_upstream", rec.failureReason());
            assertEquals(Phase.SELECT_UPSTREAM, rec.failurePhase());
            assertEquals(0, rec.attempts());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, req.target()));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("/1", c.read().bodyText());
            assertEquals("/2", c.read().bodyText());
            assertEquals("/3", c.read().bodyText());
        }
    }

    @Test
    void chunkedResponseIsRelayedChunkedAndHeadHasNoBody() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.method().equals("HEAD")) {
                    res.raw("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
                } else {
                    res.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
                }
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("hello world", r.bodyText());
            assertEquals("chunked", r.header("Transfer-Encoding"));
            RawHttpClient.Response head = c.exchange("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("1234", head.header("Content-Length"), "HEAD keeps the upstream's Content-Length");
            assertEquals(0, head.bodyLength());
            // and the connection is still in sync
            assertEquals("hello world", c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
        }
    }

    @Test
    void tenMebibyteUploadAndDownloadArriveIntact() throws Exception {
        byte[] big = new byte[10 * 1024 * 1024];
        new java.util.Random(42).nextBytes(big);
        String bigSha = java.util.HexFormat.of().formatHex(TestUpstream.sha256().digest(big));
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.method().equals("POST")) {
                    res.send(200, req.bodyLength() + " " + req.bodySha256());
                } else {
                    res.send(200, big, "Content-Type", "application/octet-stream");
                }
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + big.length + "\r\n\r\n");
            c.send(big);
            assertEquals(big.length + " " + bigSha, c.read().bodyText(), "upload intact");

            // chunked upload
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int off = 0; off < big.length; off += 1 << 20) {
                c.send(Integer.toHexString(1 << 20) + "\r\n");
                c.send(java.util.Arrays.copyOfRange(big, off, off + (1 << 20)));
                c.send("\r\n");
            }
            c.send("0\r\n\r\n");
            assertEquals(big.length + " " + bigSha, c.read().bodyText(), "chunked upload intact");

            RawHttpClient.Response down = c.exchange("GET /down HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(big.length, down.bodyLength());
            assertEquals(bigSha, down.bodySha256(), "download intact");
        }
    }

    @Test
    void upstreamThatDiesMidBodyMakesTheClientConnectionClose() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                res.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                res.closeAfter();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, c::read);
            assertTrue(e.getMessage().contains("body bytes missing"), e.getMessage());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(Phase.STREAM_RESPONSE, rec.failurePhase());
            assertEquals("upstream_closed", rec.failureReason());
            assertEquals(200, rec.status(), "the status the client saw");
        }
    }

    @Test
    void absentRouteGives404AndTheHostMatchIgnoresCaseAPortAndATrailingDot() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().host("only.test").upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response notFound = c.exchange("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
            assertEquals(404, notFound.status());
            assertTrue(notFound.header("Date").endsWith(" GMT"), "RFC 9110 6.6.1: the proxy's own answers have a Date");
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: ONLY.test:8080\r\n\r\n").status());
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: only.test.\r\n\r\n").status(),
                    "the fully qualified name, with its trailing dot, is the same host");
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: only.test.:80\r\n\r\n").status());
            assertEquals(404, c.exchange("GET / HTTP/1.1\r\nHost: only.test..\r\n\r\n").status());
        }
    }

    @Test
    void connectIs405() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(405, c.exchange("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
                    .status());
            assertNull(up.pollRequest(100));
        }
    }

    @Test
    void anExchangeCutOffWhenTheGracePeriodRunsOutGets503AndIsLoggedAsTheShutdownNotTheClient() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("stuck", (req, res) -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                res.send(200, "too late");
            })) {
            EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
            try (RawHttpClient c = proxy.client()) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                up.takeRequest(5);
                proxy.shutdown(Duration.ofMillis(300));
                RawHttpClient.Response r = c.read();
                assertEquals(503, r.status(), "the client gets the status the access log records");
                assertEquals("close", r.header("Connection"));
                assertTrue(c.isClosedByPeer(5000));
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(503, rec.status(), rec.toString());
                assertEquals("shutdown", rec.failureReason(), "the proxy closed it, not the client (499)");
            } finally {
                release.countDown();
            }
        }
    }

    @Test
    void aResponseUnderWayWhenTheGracePeriodRunsOutIsCutNotFollowedByA503() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("half", (req, res) -> {
                res.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })) {
            EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
            try (RawHttpClient c = proxy.client()) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                up.takeRequest(5);
                byte[] start = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1);
                assertArrayEquals(start, c.input().readNBytes(start.length), "the response is under way");
                proxy.shutdown(Duration.ofMillis(300));
                String rest = new String(c.input().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(rest.endsWith("\r\n\r\nonly part"), "cut after what the upstream sent, no 503: " + rest);
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(200, rec.status(), "what the client was sent: " + rec);
                assertEquals("shutdown", rec.failureReason());
            } finally {
                release.countDown();
            }
        }
    }

    /** As nginx's {@code $body_bytes_sent}: what the kernel took, not what was queued for a client not reading. */
    @Test
    void aResponseCutOffAtTheGracePeriodsEndLogsTheBodyBytesThatLeftNotThoseQueued() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("big", (req, res) -> {
                res.raw("HTTP/1.1 200 OK\r\nContent-Length: 268435456\r\n\r\n");
                byte[] mib = new byte[1 << 20];
                try {
                    for (int i = 0; i < 256 && release.getCount() > 0; i++) {
                        res.raw(mib); // blocks once the proxy stops reading: the client does not read
                    }
                } catch (java.io.IOException cut) {
                    // the proxy closed this connection when it cut the response off
                }
            })) {
            EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
            try (RawHttpClient c = proxy.client()) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                up.takeRequest(5);
                int matched = 0;
                while (matched < 4) { // the head, up to its blank line
                    int b = c.input().read();
                    assertTrue(b >= 0, "the response head");
                    matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                }
                Thread.sleep(500); // not reading: the socket buffers fill, then the proxy's outbound buffer
                proxy.shutdown(Duration.ofMillis(300));
                long received = c.input().transferTo(java.io.OutputStream.nullOutputStream());
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals("shutdown", rec.failureReason(), rec.toString());
                assertTrue(received > 0 && received < 268435456L, "cut off: " + received);
                assertEquals(received, rec.responseBodyBytes(),
                        "the body bytes the client got; the proxy's unsent queue is not counted");
            } finally {
                release.countDown();
            }
        }
    }

    /** As nginx, whose graceful stop closes only connections idle between requests. */
    @Test
    void aRequestWhoseHeadIsArrivingWhenTheShutdownStartsIsServed() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a")) {
            EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
            try (RawHttpClient partial = proxy.client();
                 RawHttpClient fresh = proxy.client();
                 RawHttpClient idle = proxy.client()) {
                assertEquals(200, idle.exchange("GET /first HTTP/1.1\r\nHost: h\r\n\r\n").status());
                partial.send("GET /partial HTTP/1.1\r\nHo");
                Thread.sleep(200); // the first bytes reach the proxy
                Thread shutdown = new Thread(() -> proxy.shutdown(Duration.ofSeconds(5)));
                shutdown.start();
                assertTrue(idle.isClosedByPeer(5000), "a connection idle between requests closes at once");
                partial.send("st: h\r\n\r\n");
                RawHttpClient.Response r = partial.read();
                assertEquals(200, r.status(), "the rest of the head arrived after the shutdown began");
                assertEquals("close", r.header("Connection"));
                fresh.send("GET /fresh HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(200, fresh.read().status(), "the first request of a connection accepted before");
                shutdown.join(10_000);
                assertFalse(shutdown.isAlive());
            }
        }
    }

    @Test
    void gracefulShutdownLetsAnInFlightExchangeFinish() throws Exception {
        try (TestUpstream up = TestUpstream.start("slow", (req, res) -> {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                res.send(200, "finished");
            })) {
            EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
            try (RawHttpClient c = proxy.client()) {
                c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                up.takeRequest(5);
                Thread shutdown = new Thread(() -> proxy.shutdown(Duration.ofSeconds(5)));
                shutdown.start();
                RawHttpClient.Response r = c.read();
                assertEquals("finished", r.bodyText());
                assertEquals("close", r.header("Connection"), "told the client the connection ends");
                shutdown.join(10_000);
                assertFalse(shutdown.isAlive());
                assertNotNull(proxy.accessLog().take(5));
            }
        }
    }
}
