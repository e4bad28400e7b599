package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Timeouts, keep-alive, retries of stale pooled connections, 1xx, upgrades and HTTP/1.0 clients. */
class ConnectionBehaviourIT {

    @Test
    void anIdleKeepAliveClientConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.idle = Duration.ofMillis(300));
             RawHttpClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertTrue(c.isClosedByPeer(3000), "closed after being idle");
        }
    }

    @Test
    void aHeadThatTricklesTooLongGets408() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.clientHeader = Duration.ofMillis(400));
             RawHttpClient slow = proxy.client();
             RawHttpClient other = proxy.client()) {
            slow.send("GET / HTTP/1.1\r\nHo");
            // meanwhile another client is served normally
            assertEquals(200, other.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            up.takeRequest(5);
            RawHttpClient.Response r = slow.read();
            assertEquals(408, r.status());
            assertTrue(slow.isClosedByPeer(2000));
            assertNull(up.pollRequest(100), "the slow one never reached the upstream");
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedQuietly() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.clientHeader = Duration.ofMillis(300));
             RawHttpClient c = proxy.client()) {
            assertTrue(c.isClosedByPeer(3000));
            assertNull(proxy.accessLog().poll(100), "nothing to log for a connection that said nothing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "DELETE", "PUT"})
    void aPooledConnectionTheUpstreamDropsUnansweredIsRetriedOnAFreshOneForAnIdempotentRequest(String method)
            throws Exception {
        // connection 1 answers the first request, then reads the second and closes without a word (the race of a
        // keep-alive timeout on the upstream); connection 2 answers
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort())), s -> s.workers = 1);
             RawHttpClient c = proxy.client()) {
            java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
            Thread upstream = new Thread(() -> {
                try (Socket first = server.accept()) {
                    accepted.incrementAndGet();
                    InputStream in = first.getInputStream();
                    OutputStream out = first.getOutputStream();
                    TestUpstreamAccess.readHead(in);
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    TestUpstreamAccess.readHead(in); // the second request arrives on the pooled connection...
                    first.setSoLinger(true, 0); // ...and the connection is reset, unanswered
                } catch (Exception e) {
                    return;
                }
                try (Socket second = server.accept()) {
                    accepted.incrementAndGet();
                    TestUpstreamAccess.answerOneHead(second, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
                } catch (Exception e) {
                    // closed by the test
                }
            });
            upstream.setDaemon(true);
            upstream.start();
            assertEquals("one", c.exchange("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
            assertEquals("two", c.exchange(method + " /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
                    .bodyText(), "the dropped pooled connection is not the client's problem: " + method);
            assertEquals(2, accepted.get());
            proxy.accessLog().take(5);
            AccessRecord second = proxy.accessLog().take(5);
            assertEquals(200, second.status());
            assertEquals(2, second.attempts(), "the access log shows the second attempt");
        }
    }

    @Test
    void aNonIdempotentRequestOnADroppedPooledConnectionIsNotRetried() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort())), s -> s.workers = 1);
             RawHttpClient c = proxy.client()) {
            Thread upstream = new Thread(() -> {
                try (Socket first = server.accept()) {
                    InputStream in = first.getInputStream();
                    TestUpstreamAccess.readHead(in);
                    first.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    TestUpstreamAccess.readHead(in);
                    first.setSoLinger(true, 0);
                } catch (Exception e) {
                    // closed
                }
            });
            upstream.setDaemon(true);
            upstream.start();
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals(502, c.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").status(),
                    "a POST may have been processed: never replayed");
        }
    }

    @Test
    void expectContinueIsForwardedAndThe100RelayedBeforeTheFinalResponse() throws Exception {
        {
            // a raw upstream that sends 100 before reading the body
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                 EngineHarness p = EngineHarness.start(EngineHarness.route()
                         .upstream("http://127.0.0.1:" + server.getLocalPort()));
                 RawHttpClient c = p.client()) {
                TestUpstreamAccess.acceptOne(server, s -> TestUpstreamAccess.echoFiveByteBody(s, 0,
                        new CompletableFuture<>()));
                c.send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
                assertEquals(100, c.read().status(), "the 100 reaches the client before it sends the body");
                c.send("hello");
                RawHttpClient.Response r = c.read();
                assertEquals(200, r.status());
                assertEquals("hello", r.bodyText());
            }
        }
    }

    /**
     * An upstream that ignores the expectation and waits for the body: after {@link Exchange#CONTINUE_WAIT_NANOS}
     * the proxy sends 100 itself (as Go's transport sends the body after its ExpectContinueTimeout), so a client that
     * waits strictly for it is not held until a timeout; a 100 the upstream sends later is not sent a second time.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anUpstreamSilentOnExpectContinueLeavesTheProxyToSend100ItselfOnce(boolean upstreamSends100Late)
            throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness p = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()));
             RawHttpClient c = p.client().timeoutMillis(30_000)) {
            CompletableFuture<String> upstreamHead = new CompletableFuture<>();
            long late = TimeUnit.NANOSECONDS.toMillis(Exchange.CONTINUE_WAIT_NANOS) + 500;
            TestUpstreamAccess.acceptOne(server, s -> TestUpstreamAccess.echoFiveByteBody(s,
                    upstreamSends100Late ? late : -1, upstreamHead));
            c.send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttpClient.Response cont = c.read();
            assertEquals(100, cont.status(), "the client, waiting for it, is told to send its body");
            assertTrue(upstreamHead.get(5, TimeUnit.SECONDS).contains("\r\nExpect: 100-continue\r\n"),
                    "the expectation still goes upstream, which may answer it");
            c.send("hello");
            RawHttpClient.Response r = c.read();
            assertEquals(200, r.status(), "one 100, then the answer");
            assertEquals("hello", r.bodyText());
            AccessRecord rec = p.accessLog().take(5);
            assertEquals(200, rec.status());
            assertEquals(5, rec.requestBodyBytes());
        }
    }

    @Test
    void aFinalAnswerBeforeTheBodyOfAnExpectContinueRequestSaysTheConnectionCloses() throws Exception {
        // a raw upstream that refuses at once, without reading the body it was told would come
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness p = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()));
             RawHttpClient c = p.client()) {
            TestUpstreamAccess.acceptOne(server, s -> TestUpstreamAccess.answerOneHead(s,
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\nno"));
            c.send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
            RawHttpClient.Response r = c.read();
            assertEquals(401, r.status());
            assertEquals("close", r.header("Connection"),
                    "RFC 9110 10.1.1: the client may skip the body, so its next request must go on a new connection");
            c.send("hello"); // a client that sends the body anyway has it read and dropped, then the connection closes
            assertTrue(c.isClosedByPeer(5000));
            AccessRecord rec = p.accessLog().take(5);
            assertEquals(401, rec.status());
            assertTrue(rec.upstreamHeaderNanos() >= 0, "an answer before the body still has an upstream header time");
        }
    }

    @Test
    void anHttp10ClientGetsAnUnknownLengthBodyDelimitedByClose() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) ->
                res.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertNull(r.header("Transfer-Encoding"), "no chunked coding for HTTP/1.0");
            assertEquals("abc", r.bodyText());
            assertEquals("close", r.header("Connection"));
        }
    }

    /** Access to the test upstream's head reader for hand-written upstreams. */
    static final class TestUpstreamAccess {
        interface RawUpstream {
            void serve(Socket s) throws Exception;
        }

        /**
         * Reads a request head (completing {@code head} with it), sends {@code 100 Continue} after
         * {@code continueAfterMillis} (never when negative), then answers 200 with the 5-byte body it reads.
         */
        static void echoFiveByteBody(Socket s, long continueAfterMillis, CompletableFuture<String> head)
                throws Exception {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            head.complete(new String(readHead(in), StandardCharsets.ISO_8859_1));
            if (continueAfterMillis >= 0) {
                Thread.sleep(continueAfterMillis);
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            byte[] body = in.readNBytes(5);
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                    + new String(body, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.read();
        }

        /** Accepts one connection on a daemon thread and lets {@code upstream} serve it. */
        static void acceptOne(ServerSocket server, RawUpstream upstream) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    upstream.serve(s);
                } catch (Exception e) {
                    // closed by the test
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** Reads one request head (not its body), writes {@code response}, then waits for the proxy to close. */
        static void answerOneHead(Socket s, String response) throws java.io.IOException {
            readHead(s.getInputStream());
            s.getOutputStream().write(response.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.getInputStream().read();
        }


        static byte[] readHead(InputStream in) throws java.io.IOException {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            int last4 = 0;
            int c;
            while ((c = in.read()) >= 0) {
                b.write(c);
                last4 = (last4 << 8) | c;
                if (last4 == 0x0D0A0D0A) {
                    break;
                }
            }
            return b.toByteArray();
        }
    }
}
