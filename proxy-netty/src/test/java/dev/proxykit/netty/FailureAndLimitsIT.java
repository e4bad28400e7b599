package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Failures are classified once (499 for the client's, 502/503/504 for the upstream's) and logged once with their
 * phase; limits answer with their statuses; malformed and smuggling requests get 400 and never reach an upstream;
 * slow and stuck clients never hold up others.
 */
class FailureAndLimitsIT {

    private ListAppender<ILoggingEvent> errorLog;

    @BeforeEach
    void captureErrorLog() {
        errorLog = capture("proxykit.exchange");
    }

    @AfterEach
    void stopCapture() {
        release("proxykit.exchange", errorLog);
    }

    /** Collects the events of the logger {@code name} until {@link #release}. */
    private static ListAppender<ILoggingEvent> capture(String name) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(name)).addAppender(appender);
        return appender;
    }

    private static void release(String name, ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(name)).detachAppender(appender);
    }

    private List<String> errorLines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : errorLog.list) {
            lines.add(e.getFormattedMessage());
        }
        return lines;
    }

    private void assertOneFailure(EngineHarness proxy, int status, String reason, Phase phase) throws Exception {
        AccessRecord rec = proxy.accessLog().take(5);
        assertEquals(status, rec.status(), rec.toString());
        assertEquals(reason, rec.failureReason(), rec.toString());
        assertEquals(phase, rec.failurePhase(), rec.toString());
        assertNull(proxy.accessLog().poll(200), "one record per exchange");
        List<String> lines = errorLines();
        assertEquals(1, lines.size(), "logged once: " + lines);
        assertTrue(lines.get(0).contains(status + " " + reason + " in " + phase), lines.get(0));
    }

    // --------------------------------------------------------------------------------------- classification

    /** An Error from a plugin (a class its loader cannot see, say) fails the one exchange: no hang, no 499. */
    @Test
    void aPluginThatThrowsAnErrorFailsItsExchangeAndNeitherHangsNorBlamesTheClient() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .director(r -> {
                         throw new NoClassDefFoundError("io/netty/buffer/ByteBuf");
                     }));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            assertEquals(500, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertOneFailure(proxy, 500, "plugin_failure", Phase.SELECT_UPSTREAM);
            assertNull(up.pollRequest(100));
        }
        errorLog.list.clear();
        UpstreamSelector failingPicker = live -> request -> {
            throw new ExceptionInInitializerError("static state of the selector");
        };
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .selector(failingPicker));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            assertEquals(500, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertOneFailure(proxy, 500, "plugin_failure", Phase.SELECT_UPSTREAM);
        }
        errorLog.list.clear();
        try (EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + TestUpstream.closedPort())
                     .classifier(e -> {
                         throw new AssertionError("a bug in the classifier");
                     }));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                    "the standard classification stands in");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(502, rec.status());
            assertEquals("upstream_refused", rec.failureReason());
        }
    }

    @Test
    void aHeadNotReceivedInTimeIsLoggedOnceWithTheBytesOfTheAnswer() throws Exception {
        ListAppender<ILoggingEvent> connectionLog = capture("proxykit.connection");
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.clientHeader = Duration.ofMillis(300));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHo");
            RawHttpClient.Response r = c.read();
            assertEquals(408, r.status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(408, rec.status());
            assertEquals(r.body().length, rec.responseBodyBytes(), "the error body counts as sent");
            assertTrue(r.body().length > 0);
            List<String> lines = new ArrayList<>();
            connectionLog.list.forEach(e -> lines.add(e.getFormattedMessage()));
            assertEquals(1, lines.size(), "one line for one event: " + lines);
            assertTrue(lines.get(0).contains("408 client-header timeout"), lines.get(0));
        } finally {
            release("proxykit.connection", connectionLog);
        }
    }

    /** As nginx logs {@code "GET /x HTTP/1.1" 400}: what the request line said, though the head was refused. */
    @Test
    void aRefusedRequestHeadIsLoggedWithItsRequestLine() throws Exception {
        ListAppender<ILoggingEvent> connectionLog = capture("proxykit.connection");
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            try (RawHttpClient c = proxy.client()) {
                assertEquals(400, c.exchange("GET /no-host HTTP/1.1\r\nUser-Agent: u\r\n\r\n").status());
            }
            AccessRecord noHost = proxy.accessLog().take(5);
            assertEquals(List.of("GET", "/no-host", "HTTP/1.1", "bad_request"), List.of(noHost.method(),
                    noHost.target(), noHost.protocol(), noHost.failureReason()));
            try (RawHttpClient c = proxy.client()) {
                assertEquals(400, c.exchange("NONSENSE\r\n\r\n").status());
            }
            AccessRecord nonsense = proxy.accessLog().take(5);
            assertEquals(List.of("NONSENSE", "-", "-"), List.of(nonsense.method(), nonsense.target(),
                    nonsense.protocol()));
            try (RawHttpClient c = proxy.client()) {
                assertEquals(400, c.exchange("GET /\u001b[2J\u0008 HTTP/1.1\r\nHost: h\r\n\r\n").status());
            }
            assertEquals("GET", proxy.accessLog().take(5).method());
            assertTrue(connectionLog.list.get(2).getFormattedMessage().contains("\"GET /\\x1B[2J\\x08 HTTP/1.1\""),
                    "no terminal codes from a client in the console: " + connectionLog.list.get(2).getFormattedMessage());
            assertNull(up.pollRequest(100), "nothing reached the upstream");
            String line = connectionLog.list.get(0).getFormattedMessage();
            assertTrue(line.matches("c\\d+ 127\\.0\\.0\\.1:\\d+ \"GET /no-host HTTP/1\\.1\": 400 an HTTP/1\\.1 request"
                    + " without Host"), line);
        } finally {
            release("proxykit.connection", connectionLog);
        }
    }

    @Test
    void aResetBeforeTheResponseIs502() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()));
             RawHttpClient c = proxy.client()) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    ConnectionBehaviourIT.TestUpstreamAccess.readHead(s.getInputStream());
                    s.setSoLinger(true, 0); // RST
                } catch (IOException e) {
                    // done
                }
            });
            t.start();
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertOneFailure(proxy, 502, "upstream_closed", Phase.AWAIT_RESPONSE_HEAD);
            assertTrue(errorLines().get(0).endsWith("(104: Connection reset by peer)"), errorLines().get(0));
        }
    }

    /** As nginx's {@code connect() failed (111: Connection refused) while connecting to upstream}. */
    @Test
    void aRefusedConnectIs502AndItsLineSaysSoInNginxWords() throws Exception {
        int closed = TestUpstream.closedPort();
        try (EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream("http://127.0.0.1:" + closed));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET /x HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertOneFailure(proxy, 502, "upstream_refused", Phase.CONNECT);
            assertEquals("c1 route test GET /x: 502 upstream_refused in CONNECT upstream 127.0.0.1:" + closed
                    + ": connect() failed (111: Connection refused)", errorLines().get(0));
        }
    }

    @Test
    void anInvalidResponseIs502() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw("HTTP/1.1 OK\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertOneFailure(proxy, 502, "upstream_invalid_response", Phase.AWAIT_RESPONSE_HEAD);
        }
    }

    @Test
    void aConnectTimeoutIs504() throws Exception {
        // a listener that never accepts, its backlog full: the kernel drops further SYNs, connects hang
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket s = new Socket();
                    try {
                        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 200);
                        fillers.add(s);
                    } catch (IOException full) {
                        s.close();
                        break;
                    }
                }
                try (EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                             .upstream("http://127.0.0.1:" + server.getLocalPort())
                             .timeouts(Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(10)));
                     RawHttpClient c = proxy.client()) {
                    assertEquals(504, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
                    assertOneFailure(proxy, 504, "upstream_connect_timeout", Phase.CONNECT);
                }
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aClientGoneWhileTheBodyStreamsIs499AndTheUpstreamConnectionCloses() throws Exception {
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    ConnectionBehaviourIT.TestUpstreamAccess.readHead(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    s.setSoTimeout(10_000);
                    if (s.getInputStream().read() < 0) { // the proxy closes its side when the client goes
                        upstreamSawClose.countDown();
                    }
                } catch (IOException e) {
                    upstreamSawClose.countDown(); // a reset counts too
                }
            });
            t.start();
            RawHttpClient c = proxy.client();
            c.send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
            byte[] some = new byte[20];
            assertTrue(c.input().read(some) > 0);
            c.close();
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(499, rec.status());
            assertEquals(Phase.STREAM_RESPONSE, rec.failurePhase());
            assertTrue(upstreamSawClose.await(5, TimeUnit.SECONDS), "the upstream connection was closed at once");
        }
    }

    @Test
    void aClientGoneMidUploadClosesTheUpstreamConnection() throws Exception {
        CountDownLatch uploadStarted = new CountDownLatch(1);
        CountDownLatch upstreamSawEnd = new CountDownLatch(1);
        AtomicReference<Long> received = new AtomicReference<>(0L);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    ConnectionBehaviourIT.TestUpstreamAccess.readHead(in);
                    s.setSoTimeout(10_000);
                    long n = in.readNBytes(500).length;
                    uploadStarted.countDown();
                    byte[] buf = new byte[8192];
                    int r;
                    while ((r = in.read(buf)) >= 0) {
                        n += r;
                    }
                    received.set(n);
                    upstreamSawEnd.countDown();
                } catch (IOException e) {
                    upstreamSawEnd.countDown(); // a reset counts too
                }
            });
            t.start();
            RawHttpClient c = proxy.client();
            c.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n");
            c.send(new byte[1000]);
            assertTrue(uploadStarted.await(5, TimeUnit.SECONDS), "the upload reached the upstream");
            c.close();
            assertTrue(upstreamSawEnd.await(5, TimeUnit.SECONDS), "the upstream connection was closed");
            assertTrue(received.get() < 1_000_000, "the upstream never got a complete-looking body");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(499, rec.status());
            assertEquals(Phase.CLIENT_READ, rec.failurePhase());
        }
    }

    @Test
    void anUpstreamDyingMidChunkedBodyNeverLooksCompleteToTheClient() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                res.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n");
                res.closeAfter();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            IOException e = assertThrows(IOException.class, c::read, "no terminating chunk: the read must fail");
            assertTrue(e.getMessage().contains("EOF"), e.getMessage());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(200, rec.status(), "the access log keeps the status the client received");
            assertEquals("upstream_closed", rec.failureReason());
            assertEquals(Phase.STREAM_RESPONSE, rec.failurePhase());
            List<String> lines = errorLines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("502 upstream_closed in STREAM_RESPONSE"), lines.get(0));
        }
    }

    @Test
    void anUpstreamSilentMidBodyHitsTheIdleTimeoutAndTheClientConnectionCloses() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                res.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(400)));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertThrows(IOException.class, c::read, "a truncated body never looks complete");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("upstream_idle_timeout", rec.failureReason());
            assertEquals(Phase.STREAM_RESPONSE, rec.failurePhase());
            List<String> lines = errorLines();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("504 upstream_idle_timeout"), lines.get(0));
            assertTrue(lines.get(0).endsWith(": nothing moved either way for 400ms (timeouts.idle); the client's 200"
                    + " response is cut off"), "which timeout, and how long: " + lines.get(0));
        }
    }

    /** Closing the stalled client fails its pending writes; that must not log the exchange again as a 499. */
    @Test
    void aClientThatStopsReadingMidResponseIsLoggedOnceAs408AtTheIdleTimeout() throws Exception {
        int size = 32 * 1024 * 1024;
        try (TestUpstream up = TestUpstream.start("big", (req, res) -> {
                OutputStream out = res.stream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes());
                byte[] block = new byte[64 * 1024];
                for (int i = 0; i < size / block.length; i++) {
                    out.write(block); // fails once the proxy gives up on the client and closes this connection
                }
                out.flush();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(500)));
             RawHttpClient c = proxy.client()) {
            c.socket().setReceiveBufferSize(16 * 1024);
            c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
            assertOneFailure(proxy, 408, "client_timeout", Phase.STREAM_RESPONSE);
            assertTrue(errorLines().get(0).endsWith(": the client read nothing for 500ms (timeouts.idle)"),
                    errorLines().get(0));
            assertThrows(IOException.class, () -> c.read().bodyLength(), "a truncated body never looks complete");
        }
    }

    // ------------------------------------------------------------------------------------------------- limits

    /**
     * nginx's lingering close: a client refused while it still sends (a body over the limit, a head too large, a body
     * the proxy answered before reading, in many small chunks) reads its answer and then an orderly end, not a reset.
     * Closed with the client's bytes unread, the socket sent a reset, which on a real network can destroy the answer
     * before the client has read it.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "413|POST /up HTTP/1.1;Host: h;Content-Length: 100000000;;",
        "413|POST /up HTTP/1.1;Host: h;Transfer-Encoding: chunked;;",
        "431|GET / HTTP/1.1;Host: h;X-Big: ",
        "404|POST /up HTTP/1.1;Host: elsewhere.test;Transfer-Encoding: chunked;;"})
    void aClientRefusedWhileStillSendingReadsItsAnswerAndAnOrderlyEnd(int status, String start) throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().host("h").upstream(up.url())),
                     s -> s.maxRequestBody = 1000);
             RawHttpClient c = proxy.client().timeoutMillis(20_000)) {
            c.send(start.replace(";", "\r\n"));
            AtomicReference<IOException> writeFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 32; i++) { // 2 MiB more, past the socket buffers and the 1 MiB discard limit
                        c.output().write(block(start.contains("chunked")));
                        c.output().flush();
                    }
                } catch (IOException e) {
                    writeFailure.set(e);
                }
            });
            writer.start();
            RawHttpClient.Response r = c.read();
            assertEquals(status, r.status());
            writer.join(20_000);
            assertNull(writeFailure.get(), "the rest of what the client sent was taken, not reset");
            c.socket().shutdownOutput();
            assertEquals(-1, c.input().read(), "an orderly end after the answer, not a reset");
        }
    }

    /** 64 KiB of a body or a header value; chunked, as 64 chunks of 1 KiB (many pieces per read). */
    private static byte[] block(boolean chunked) {
        String kib = "x".repeat(1024);
        return (chunked ? ("400\r\n" + kib + "\r\n").repeat(64) : kib.repeat(64)).getBytes(StandardCharsets.US_ASCII);
    }

    /** A stop does not wait for a lingering connection: its answer went out and nothing more is served on it. */
    @Test
    void aLingeringConnectionDoesNotHoldUpTheStop() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a")) {
            EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                    s -> s.maxRequestBody = 1000);
            try (RawHttpClient c = proxy.client().timeoutMillis(20_000)) {
                c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000\r\n\r\n");
                CountDownLatch stopped = new CountDownLatch(1);
                Thread writer = new Thread(() -> {
                    try {
                        while (stopped.getCount() > 0) { // bounded by the stop, and by the 20 s wait below
                            c.output().write(block(false));
                            c.output().flush();
                            Thread.sleep(50);
                        }
                    } catch (IOException | InterruptedException e) {
                        // closed by the stop
                    }
                });
                writer.setDaemon(true);
                writer.start();
                assertEquals(413, c.read().status());
                Thread stop = new Thread(() -> {
                    proxy.shutdown(Duration.ofSeconds(60));
                    stopped.countDown();
                });
                stop.start();
                // the client sends every 50 ms: lingering on, the connection would hold the stop for 30 s
                assertTrue(stopped.await(20, TimeUnit.SECONDS), "the stop ended while the client still sent");
            }
        }
    }

    @Test
    void limitsAnswerWithTheirStatuses() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())), s -> {
                 s.maxRequestBody = 1000;
             })) {
            try (RawHttpClient c = proxy.client()) {
                assertEquals(414, c.exchange("GET /" + "a".repeat(8200) + " HTTP/1.1\r\nHost: h\r\n\r\n").status());
            }
            assertEquals("request_line_too_long", proxy.accessLog().take(5).failureReason());
            try (RawHttpClient c = proxy.client()) {
                assertEquals(431, c.exchange("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "b".repeat(33_000)
                        + "\r\n\r\n").status());
            }
            AccessRecord tooLong = proxy.accessLog().take(5);
            assertEquals("request_header_too_large", tooLong.failureReason());
            assertEquals(List.of("GET", "/", "HTTP/1.1"), List.of(tooLong.method(), tooLong.target(),
                    tooLong.protocol()), "the request line came whole before the head grew too large");
            try (RawHttpClient c = proxy.client()) {
                assertEquals(413, c.exchange("POST /upload?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: up/1\r\n"
                        + "Content-Length: 1001\r\n\r\n").status());
            }
            AccessRecord tooLarge = proxy.accessLog().take(5);
            assertEquals("request_body_too_large", tooLarge.failureReason(), "known from the head");
            assertEquals(List.of("POST", "/upload?x=1", "HTTP/1.1", "h", "up/1"), List.of(tooLarge.method(),
                    tooLarge.target(), tooLarge.protocol(), tooLarge.host(), tooLarge.userAgent()),
                    "the head was read whole: its request line and fields are logged, as nginx logs them");
            try (RawHttpClient c = proxy.client()) {
                c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + "x".repeat(1024) + "\r\n");
                assertEquals(413, c.read().status(), "a chunked body over the limit");
            }
            AccessRecord chunked = proxy.accessLog().take(5);
            assertEquals(413, chunked.status());
            assertEquals("request_body_too_large", chunked.failureReason(), "found in the body: the same reason");
            try (RawHttpClient c = proxy.client()) {
                assertEquals(200, c.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"
                        + "y".repeat(1000)).status(), "at the limit is fine");
            }
        }
    }

    @Test
    void theRequestBodyLimitIsOffByDefault() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, Long.toString(req.bodyLength())));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + (20 << 20) + "\r\n\r\n");
            byte[] block = new byte[1 << 20];
            for (int i = 0; i < 20; i++) {
                c.send(block);
            }
            assertEquals(Integer.toString(20 << 20), c.read().bodyText());
        }
    }

    @Test
    void anUpstreamResponseHeadTooLargeIs502() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, "x", "X-Huge", "h".repeat(40_000)));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("upstream_invalid_response", rec.failureReason());
        }
    }

    // --------------------------------------------------------------------------------------------- smuggling

    @ParameterizedTest
    @ValueSource(strings = {
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4, 5\r\n\r\nabcde",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4x\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x4\r\nabcd\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcdEXTRA\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\r\nabcd\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n\tb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rX-B: b\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\n\n",
        "GET / HTTP/1.1\r\nHost: h\nX-A: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u0000b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX A: b\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n",
    })
    void malformedAndSmugglingRequestsGet400AndNeverReachTheUpstream(String request) throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            try (RawHttpClient c = proxy.client()) {
                c.send(request);
                RawHttpClient.Response r = c.read();
                assertEquals(400, r.status(), "for " + request.replace("\r", "\\r").replace("\n", "\\n"));
                assertTrue(c.isClosedByPeer(2000), "the connection is closed after a 400");
            }
            assertNull(up.pollRequest(200), "nothing reached the upstream");
            try (RawHttpClient next = proxy.client()) {
                assertEquals(200, next.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                        "the next client is served normally");
            }
        }
    }

    // ------------------------------------------------------------------------------------------ slow clients

    @Test
    void aClientTricklingItsHeadByteByByteNeverDelaysOthers() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> {
                         s.workers = 1; // one event loop: everything shares it
                         s.clientHeader = Duration.ofSeconds(2);
                     });
             RawHttpClient slow = proxy.client()) {
            String request = "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n";
            for (int i = 0; i < 10; i++) {
                slow.send(request.substring(i, i + 1));
                try (RawHttpClient other = proxy.client()) {
                    assertEquals(200, other.exchange("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n").status());
                }
            }
            assertEquals(408, slow.read().status(), "the client-header timeout closes the trickler");
            assertTrue(slow.isClosedByPeer(2000));
        }
    }

    @Test
    void aClientThatNeverReadsItsResponseNeverDelaysOthers() throws Exception {
        byte[] big = new byte[32 << 20];
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.target().equals("/big")) {
                    res.send(200, big);
                } else {
                    res.send(200, "small");
                }
            });
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.workers = 1);
             RawHttpClient stuck = proxy.client()) {
            stuck.socket().setReceiveBufferSize(16 * 1024);
            stuck.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n"); // and never reads
            Thread.sleep(300);
            for (int i = 0; i < 20; i++) {
                try (RawHttpClient other = proxy.client()) {
                    assertEquals("small", other.exchange("GET /small HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
                }
            }
            assertFalse(stuck.socket().isClosed());
        }
    }
}
