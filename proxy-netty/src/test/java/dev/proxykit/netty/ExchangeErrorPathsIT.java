package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.StatusSet;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Error paths of an exchange with retries, each run under the paranoid leak detector (a leaked or doubly released
 * buffer fails the build): a retry after part of the body went up, a status retry while the body still arrives, the
 * client leaving while the retry connects, an early answer, a bad chunk while the replay is kept, shutdown with body
 * pieces waiting, and a pooled connection whose flush fails inside the retry's hand-over.
 */
class ExchangeErrorPathsIT {

    static final RetrySettings RETRY = new RetrySettings(2, true, StatusSet.of(List.of("503")), 1 << 20, 100, 1000,
            Duration.ofSeconds(10));

    interface Serve {
        void serve(Socket s) throws Exception;
    }

    static Thread serveAll(ServerSocket server, Serve serve) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread h = new Thread(() -> {
                        try (s) {
                            serve.serve(s);
                        } catch (Exception e) {
                            // done
                        }
                    });
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A request head as text, or {@code null} at the end of the stream. */
    static String readHead(InputStream in) throws IOException {
        byte[] head = ConnectionBehaviourIT.TestUpstreamAccess.readHead(in);
        return head.length == 0 ? null : new String(head, StandardCharsets.ISO_8859_1);
    }

    /** A proxy, one worker, over upstreams {@code a} then {@code b}, always trying {@code a} first, with RETRY. */
    static EngineHarness proxyOver(ServerSocket a, ServerSocket b) throws Exception {
        return EngineHarness.start(List.of(EngineHarness.route()
                .upstream("http://127.0.0.1:" + a.getLocalPort()).upstream("http://127.0.0.1:" + b.getLocalPort())
                .selector(first()).retries(RETRY)), s -> s.workers = 1);
    }

    /** Sends a PUT of {@code total} bytes in two parts, 300 ms apart, and returns the answer. */
    static RawHttpClient.Response putInTwoParts(RawHttpClient c, int total, int first) throws Exception {
        c.send("PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: " + total + "\r\n\r\n");
        c.send(body(first));
        Thread.sleep(300);
        c.send(body(total - first));
        return c.read();
    }

    static long contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring(15).trim());
            }
        }
        return 0;
    }

    static long readN(InputStream in, long n) throws IOException {
        byte[] buf = new byte[65536];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r < 0) {
                break;
            }
            got += r;
        }
        return got;
    }

    static byte[] body(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    /** Reads a request with its Content-Length body and answers 200 with the body length received. */
    static void answerWithLength(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        String head;
        while ((head = readHead(in)) != null) {
            long got = readN(in, contentLength(head));
            String b = Long.toString(got);
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + b.length() + "\r\n\r\n" + b)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    @Test
    void retryAfterPartOfTheBodyWasSent() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            serveAll(a, s -> {
                InputStream in = s.getInputStream();
                readHead(in);
                readN(in, 10_000);
                s.setSoLinger(true, 0);
            });
            serveAll(b, ExchangeErrorPathsIT::answerWithLength);
            try (EngineHarness proxy = proxyOver(a, b);
                 RawHttpClient c = proxy.client()) {
                RawHttpClient.Response r = putInTwoParts(c, 200_000, 100_000);
                assertEquals(200, r.status());
                assertEquals("200000", r.bodyText());
            }
        }
    }

    /** Always the first live upstream. */
    static dev.proxykit.api.UpstreamSelector first() {
        return live -> request -> live.get(0);
    }

    @Test
    void statusRetryWhileTheBodyIsStillComing() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            serveAll(a, s -> {
                InputStream in = s.getInputStream();
                readHead(in);
                s.getOutputStream().write("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy"
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                while (in.read() >= 0) {
                    // drain
                }
            });
            serveAll(b, ExchangeErrorPathsIT::answerWithLength);
            try (EngineHarness proxy = proxyOver(a, b);
                 RawHttpClient c = proxy.client()) {
                RawHttpClient.Response r = putInTwoParts(c, 20_000, 5_000);
                assertEquals(200, r.status());
                assertEquals("20000", r.bodyText());
            }
        }
    }

    @Test
    void clientGoesWhileTheRetryConnects() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            CountDownLatch retried = new CountDownLatch(1);
            serveAll(a, s -> {
                InputStream in = s.getInputStream();
                String head = readHead(in);
                readN(in, contentLength(head));
                s.setSoLinger(true, 0);
            });
            serveAll(b, s -> { // a TLS upstream that never answers the handshake: the attempt stays connecting
                retried.countDown();
                s.getInputStream().read();
                Thread.sleep(5000);
            });
            try (EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route()
                    .upstream("http://127.0.0.1:" + a.getLocalPort())
                    .upstream("https://127.0.0.1:" + b.getLocalPort())
                    .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(30))
                    .selector(first()).retries(RETRY)), s -> s.workers = 1)) {
                RawHttpClient c = proxy.client();
                c.send("PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n");
                c.send(body(20_000));
                assertTrue(retried.await(5, TimeUnit.SECONDS));
                Thread.sleep(200);
                c.close();
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(499, rec.status());
                assertEquals(2, rec.attempts(), "gone while the retry was connecting");
                Thread.sleep(2500); // the handshake times out
            }
        }
    }

    @Test
    void anEarlyAnswerThenTheRestOfTheBodyThenAnotherRequest() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            serveAll(a, s -> {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                String head;
                while ((head = readHead(in)) != null) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    readN(in, contentLength(head));
                }
            });
            try (EngineHarness proxy = proxyOver(a, b);
                 RawHttpClient c = proxy.client()) {
                c.send("PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n");
                c.send(body(5_000));
                RawHttpClient.Response r = c.read();
                assertEquals(200, r.status());
                c.send(body(15_000));
                assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            }
        }
    }

    @Test
    void aBadChunkMidBodyWhileTheReplayIsKept() throws Exception {
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            serveAll(a, s -> {
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                    // drain
                }
            });
            try (EngineHarness proxy = proxyOver(a, b);
                 RawHttpClient c = proxy.client()) {
                c.send("PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
                c.send("1000\r\n" + "y".repeat(4096) + "\r\n");
                Thread.sleep(200);
                c.send("zz\r\n");
                RawHttpClient.Response r = c.read();
                assertEquals(400, r.status());
            }
        }
    }

    @Test
    void shutdownWhileBodyPiecesWaitForAConnection() throws Exception {
        try (ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            serveAll(b, s -> {
                s.getInputStream().read();
                Thread.sleep(5000);
            });
            EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route()
                    .upstream("https://127.0.0.1:" + b.getLocalPort())
                    .timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30))), s -> s.workers = 1);
            RawHttpClient c = proxy.client();
            c.send("PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20000\r\n\r\n");
            c.send(body(10_000));
            Thread.sleep(300);
            proxy.shutdown(Duration.ofMillis(200));
            c.close();
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals(503, rec.status(), "cut off by the shutdown: " + rec);
            assertEquals("shutdown", rec.failureReason());
        }
    }

    /** Every log event with a throwable of {@code type} somewhere in its cause chain, as one line each. */
    static final class Captured extends ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> {
        final java.util.Queue<String> hits = new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
            String text = e.getFormattedMessage();
            if (e.getArgumentArray() != null) {
                for (Object arg : e.getArgumentArray()) {
                    text += " | " + arg;
                }
            }
            if (text.contains("NullPointerException")) {
                String[] lines = text.split("\n");
                hits.add(e.getLevel() + " " + e.getLoggerName() + ": "
                        + String.join("\n", Arrays.copyOf(lines, Math.min(lines.length, 14))));
            }
            for (ch.qos.logback.classic.spi.IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                if (t.getClassName().equals(NullPointerException.class.getName())) {
                    StringBuilder b = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + ": "
                            + e.getFormattedMessage() + "\n  " + t.getClassName() + ": " + t.getMessage());
                    var st = t.getStackTraceElementProxyArray();
                    for (int i = 0; i < Math.min(8, st.length); i++) {
                        b.append("\n    ").append(st[i].getSTEAsString());
                    }
                    hits.add(b.toString());
                }
            }
        }
    }

    @Test
    void aPooledConnectionWhoseFlushFailsInsideOnConnectedDuringARetry() throws Exception {
        Captured captured = new Captured();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        captured.setContext(root.getLoggerContext());
        captured.start();
        root.addAppender(captured);
        try (ServerSocket a = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            CountDownLatch resetNow = new CountDownLatch(1);
            CountDownLatch resetDone = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger bConnections = new java.util.concurrent.atomic.AtomicInteger();
            serveAll(a, s -> { // resets every request unanswered
                readHead(s.getInputStream());
                s.setSoLinger(true, 0);
            });
            serveAll(b, s -> {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                if (bConnections.incrementAndGet() == 1) {
                    readHead(in); // GET /warm: answered, the connection goes to the proxy's pool
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    resetNow.await(10, TimeUnit.SECONDS);
                    s.setSoLinger(true, 0);
                    s.close(); // RST on the idle pooled connection
                    resetDone.countDown();
                    return;
                }
                readHead(in);
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.read();
            });
            String bUrl = "http://127.0.0.1:" + b.getLocalPort();
            String aUrl = "http://127.0.0.1:" + a.getLocalPort();
            dev.proxykit.api.UpstreamSelector byPath = live -> request -> {
                for (dev.proxykit.api.Upstream u : live) {
                    if (request.path().equals("/warm") == u.toString().startsWith(bUrl)) {
                        return u;
                    }
                }
                return live.get(0);
            };
            // the retry's head is built for B: B resets the pooled connection, and the loop is held until the reset
            // has reached this host's socket (but not yet Netty), as when both events land in one turn of the loop
            dev.proxykit.api.Director director = req -> {
                if (req.inbound().path().equals("/x") && req.upstream().toString().startsWith(bUrl)) {
                    resetNow.countDown();
                    try {
                        resetDone.await(5, TimeUnit.SECONDS);
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            try (EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route()
                    .upstream(aUrl).upstream(bUrl).selector(byPath).director(director).retries(RETRY)),
                    s -> s.workers = 1);
                 RawHttpClient c = proxy.client()) {
                assertEquals("warm", c.exchange("GET /warm HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
                RawHttpClient.Response r = c.exchange("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals("fresh", r.bodyText(), "A reset it, the pooled connection to B failed, a new one answered");
                proxy.accessLog().take(5);
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(200, rec.status());
                Thread.sleep(300);
                assertEquals(List.of(), List.copyOf(captured.hits), "no NullPointerException on the event loop");
            }
        } finally {
            root.detachAppender(captured);
        }
    }

}
