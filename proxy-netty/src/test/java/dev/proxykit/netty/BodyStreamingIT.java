package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Bodies both ways, streaming, trailers, 1xx responses, pipelining and keep-alive. */
class BodyStreamingIT {

    private static final int MIB = 1024 * 1024;

    static byte[] block(int i) {
        byte[] b = new byte[MIB];
        for (int k = 0; k < b.length; k += 4096) {
            b[k] = (byte) i;
            b[k + 1] = (byte) (k >> 12);
        }
        return b;
    }

    static String sha(int blocks) throws Exception {
        MessageDigest d = TestUpstream.sha256();
        for (int i = 0; i < blocks; i++) {
            d.update(block(i));
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /** Samples the Netty direct memory in use while {@code work} runs; returns the peak in bytes. */
    private static long peakNettyMemory(ThrowingRunnable work) throws Exception {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (!(alloc instanceof ByteBufAllocatorMetricProvider)) {
            throw new AssertionError("the default allocator exposes no metrics: " + alloc);
        }
        AtomicLong peak = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                long used = ((ByteBufAllocatorMetricProvider) alloc).metric().usedDirectMemory()
                        + ((ByteBufAllocatorMetricProvider) alloc).metric().usedHeapMemory();
                peak.accumulateAndGet(used, Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        try {
            work.run();
        } finally {
            done.set(true);
            sampler.join();
        }
        return peak.get();
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void hundredMebibyteBodiesGoBothWaysWithBoundedProxyMemory() throws Exception {
        int blocks = 100;
        String expected = sha(blocks);
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.method().equals("POST")) {
                    res.send(200, req.bodyLength() + " " + req.bodySha256());
                    return;
                }
                OutputStream out = res.stream();
                if (req.target().equals("/chunked")) {
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < blocks; i++) {
                        out.write((Integer.toHexString(MIB) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(block(i));
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + (long) blocks * MIB + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < blocks; i++) {
                        out.write(block(i));
                    }
                }
                out.flush();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            long peak = peakNettyMemory(() -> {
                c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + (long) blocks * MIB + "\r\n\r\n");
                for (int i = 0; i < blocks; i++) {
                    c.send(block(i));
                }
                assertEquals((long) blocks * MIB + " " + expected, c.read().bodyText(), "Content-Length upload");

                c.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (int i = 0; i < blocks; i++) {
                    c.send(Integer.toHexString(MIB) + "\r\n");
                    c.send(block(i));
                    c.send("\r\n");
                }
                c.send("0\r\n\r\n");
                assertEquals((long) blocks * MIB + " " + expected, c.read().bodyText(), "chunked upload");

                RawHttpClient.Response down = c.exchange("GET /length HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals(expected, down.bodySha256(), "Content-Length download");
                RawHttpClient.Response chunked = c.exchange("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
                assertEquals("chunked", chunked.header("Transfer-Encoding"));
                assertEquals(expected, chunked.bodySha256(), "chunked download");
            });
            System.out.println("peak Netty memory while moving 400 MiB: " + peak / 1024 + " KiB");
            assertTrue(peak < 16L * MIB, "the proxy held at most " + peak / MIB + " MiB while moving 400 MiB");
        }
    }

    @Test
    void headAnd204And304CarryNoBody() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                switch (req.target()) {
                    case "/204":
                        res.raw("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
                        break;
                    case "/304":
                        res.raw("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 999\r\n\r\n");
                        break;
                    default:
                        res.raw("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"
                                + (req.method().equals("HEAD") ? "" : "hello world!"));
                }
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response head = c.exchange("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("12", head.header("Content-Length"), "HEAD keeps the length of the would-be body");
            RawHttpClient.Response noContent = c.exchange("GET /204 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(204, noContent.status());
            assertNull(noContent.header("Transfer-Encoding"), "no chunked framing invented for 204");
            RawHttpClient.Response notModified = c.exchange("GET /304 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(304, notModified.status());
            assertEquals("999", notModified.header("Content-Length"));
            // if any body bytes had slipped through, this response would be out of sync
            assertEquals("hello world!", c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
        }
    }

    @Test
    void aRequestWithoutBodyReachesTheUpstreamWithoutOne() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            TestUpstream.Request get = up.takeRequest(5);
            assertNull(get.header("Content-Length"));
            assertNull(get.header("Transfer-Encoding"));
            c.exchange("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n");
            assertNull(up.takeRequest(5).header("Content-Length"), "no Content-Length: 0 added");
            c.exchange("POST /x HTTP/1.1\r\nHost: h\r\ncontent-length: 0\r\n\r\n");
            TestUpstream.Request post = up.takeRequest(5);
            assertEquals("0", post.header("Content-Length"), "a declared empty body stays declared");
            assertTrue(post.headerNames().contains("content-length"));
        }
    }

    @Test
    void eachChunkTheUpstreamFlushesReachesTheClientAtOnce() throws Exception {
        CountDownLatch clientGotFirst = new CountDownLatch(1);
        CountDownLatch clientGotHead = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("sse", (req, res) -> {
                OutputStream out = res.stream();
                out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await(clientGotHead); // the head reaches the client before any body exists
                out.write("data: one\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await(clientGotFirst); // the second event is written only once the first arrived
                out.write("data: two\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                res.closeAfter();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .flushInterval(Duration.ofSeconds(30))); // never batches an event stream
             RawHttpClient c = proxy.client()) {
            c.send("GET /events HTTP/1.1\r\nHost: h\r\nAccept: text/event-stream\r\n\r\n");
            InputStream in = c.input();
            String head = readUntil(in, "\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.contains("Transfer-Encoding: chunked"), head);
            clientGotHead.countDown();
            assertTrue(readUntil(in, "data: one\n\n").endsWith("data: one\n\n"));
            clientGotFirst.countDown();
            assertTrue(readUntil(in, "data: two\n\n").endsWith("data: two\n\n"));
        }
    }

    @Test
    void aFlushIntervalBatchesKnownLengthResponsesButTheEndFlushesAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                OutputStream out = res.stream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await(release);
                out.write("-last".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .flushInterval(Duration.ofSeconds(30)));
             RawHttpClient c = proxy.client()) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            c.socket().setSoTimeout(500);
            try {
                int b = c.input().read();
                throw new AssertionError("a batched response reached the client early (read " + b + ")");
            } catch (SocketTimeoutException expected) {
                // held back by the flush interval
            }
            c.socket().setSoTimeout(10_000);
            release.countDown();
            assertEquals("first-last", c.read().bodyText(), "the end of the response flushes everything");
        }
    }

    @Test
    void unknownLengthResponsesFlushAtOnceWhateverTheFlushInterval() throws Exception {
        CountDownLatch clientGotFirst = new CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                OutputStream out = res.stream();
                out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n[first\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                await(clientGotFirst); // a long poll: nothing more until the client has the first part
                out.write("1\r\n]\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url())
                     .flushInterval(Duration.ofSeconds(30)));
             RawHttpClient c = proxy.client()) {
            c.send("GET /poll HTTP/1.1\r\nHost: h\r\n\r\n");
            assertTrue(readUntil(c.input(), "[first").endsWith("[first"));
            clientGotFirst.countDown();
            assertTrue(readUntil(c.input(), "0\r\n\r\n").endsWith("0\r\n\r\n"));
        }
    }

    @Test
    void trailersAreForwardedWhetherAnnouncedOrNot() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                String trailer = req.trailers().isEmpty() ? "none" : req.trailers().get(0)[0] + "=" + req.trailers().get(0)[1];
                String announced = req.header("Trailer") == null ? "" : "Trailer: X-Checksum\r\n";
                res.raw("HTTP/1.1 200 OK\r\n" + announced + "Transfer-Encoding: chunked\r\n\r\n"
                        + "4\r\nbody\r\n0\r\nX-Checksum: abc\r\nx-request-trailer: " + trailer + "\r\n\r\n");
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response announced = c.exchange("POST / HTTP/1.1\r\nHost: h\r\nTrailer: X-Up\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Up: 42\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertEquals("X-Up", req.header("Trailer"), "the request's announcement is kept for its chunked body");
            assertEquals(List.of("X-Up", "42"), List.of(req.trailers().get(0)));
            assertEquals("X-Checksum", announced.header("Trailer"));
            assertEquals("abc", announced.trailers().get(0)[1]);
            assertEquals("X-Up=42", announced.trailers().get(1)[1]);

            RawHttpClient.Response unannounced = c.exchange("POST / HTTP/1.1\r\nHost: h\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Up: 7\r\n\r\n");
            assertNull(unannounced.header("Trailer"));
            assertEquals("X-Checksum", unannounced.trailers().get(0)[0]);
            assertEquals("X-Up=7", unannounced.trailers().get(1)[1]);
        }
    }

    /** The proxy re-frames a body but never decodes it: codings other than chunked are announced to the client. */
    @Test
    void aTransferCodingOtherThanChunkedIsAnnouncedToAnHttp11ClientWithTheBytesUnchanged() throws Exception {
        byte[] gzip;
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(b)) {
            z.write("hello, encoded world".getBytes(StandardCharsets.US_ASCII));
        }
        gzip = b.toByteArray();
        String chunkedGzip = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + Integer.toHexString(gzip.length) + "\r\n" + new String(gzip, StandardCharsets.ISO_8859_1)
                + "\r\n0\r\n\r\n";
        String gzipUntilClose = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"
                + new String(gzip, StandardCharsets.ISO_8859_1);
        for (String response : List.of(chunkedGzip, gzipUntilClose)) {
            try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                    res.raw(response);
                    res.closeAfter();
                });
                 EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
                 RawHttpClient c = proxy.client()) {
                RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
                List<String> codings = new java.util.ArrayList<>();
                for (String[] field : r.headers()) {
                    if (field[0].equalsIgnoreCase("Transfer-Encoding")) {
                        codings.add(field[1]);
                    }
                }
                assertEquals(List.of("gzip", "chunked"), codings, "read together: gzip, chunked");
                assertEquals(HexFormat.of().formatHex(gzip), HexFormat.of().formatHex(r.body()), "still gzip");
            }
        }
    }

    @Test
    void continueAndEarlyHintsAreForwardedInOrderBeforeTheFinalResponse() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 103 Early Hints\r\nLink: </b.js>; rel=preload\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(100, c.read().status());
            assertEquals("</a.css>; rel=preload", c.read().header("Link"));
            assertEquals("</b.js>; rel=preload", c.read().header("Link"));
            RawHttpClient.Response last = c.read();
            assertEquals(201, last.status());
            assertEquals("done", last.bodyText());
        }
    }

    @Test
    void anHttp10ClientGetsNoInformationalResponses() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.raw(
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.0\r\n\r\n");
            assertEquals(200, r.status(), "RFC 9110 15.2: no 1xx to HTTP/1.0");
        }
    }

    @Test
    void pipelinedRequestsWithBodiesAreAnsweredInOrder() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200,
                req.target() + ":" + new String(req.body(), StandardCharsets.US_ASCII)));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                    + "HEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /5 HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("/1:abc", c.read().bodyText());
            assertEquals("/2:", c.read().bodyText());
            assertEquals("/3:xy", c.read().bodyText());
            assertEquals(0, c.read(true).bodyLength());
            assertEquals("/5:", c.read().bodyText());
        }
    }

    @Test
    void anUpstreamConnectionIsReusedAfterCompleteExchangesAndNeverAfterAFailedOne() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.target().equals("/bad")) {
                    res.raw("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"); // invalid: the connection is spoiled
                } else {
                    res.send(200, "ok");
                }
            });
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.workers = 1);
             RawHttpClient c = proxy.client()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(200, c.exchange("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n").status());
            }
            assertEquals(1, up.connections(), "one connection for three complete exchanges");
            assertEquals(502, c.exchange("GET /bad HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals(200, c.exchange("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals(2, up.connections(), "the connection of the failed exchange was not reused");
        }
    }

    @Test
    void bytesAnUpstreamSendsBeyondAResponseSpoilItsConnectionNotTheNextRequest() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.method().equals("HEAD")) {
                    res.raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"); // a body where none may be
                } else {
                    res.send(200, "fine");
                }
            });
             EngineHarness proxy = EngineHarness.start(List.of(EngineHarness.route().upstream(up.url())),
                     s -> s.workers = 1);
             RawHttpClient c = proxy.client()) {
            c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"); // pipelined
            assertEquals("5", c.read(true).header("Content-Length"));
            assertEquals("fine", c.read().bodyText(), "the next request went over a clean connection");
            assertEquals(2, up.connections());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test client never signalled");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads until the bytes read so far end with {@code end} (the de-chunking is left to the reader's eye). */
    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("closed before \"" + end + "\"; got " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
