package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The proxy reads one side only as fast as the other side drains: a client that stops reading stalls the upstream,
 * and an upstream that stops reading stalls the client, with bounded memory in between.
 */
class BackpressureIT {

    private static final int SIZE = 64 * 1024 * 1024;
    /** Kernel socket buffers on loopback plus the proxy's write buffers stay far below this. */
    private static final long BOUND = 24L * 1024 * 1024;

    private static byte[] block(int i) {
        byte[] b = new byte[64 * 1024];
        java.util.Arrays.fill(b, (byte) i);
        return b;
    }

    /** Waits until {@code progress} stops moving (the upstream stalled), at most 4 s. */
    private static void awaitStill(java.util.function.LongSupplier progress) throws InterruptedException {
        long before = -1;
        for (int i = 0; i < 40; i++) {
            Thread.sleep(100);
            long now = progress.getAsLong();
            if (now == before) {
                return;
            }
            before = now;
        }
    }

    @Test
    void aClientThatDoesNotReadStallsTheUpstream() throws Exception {
        AtomicLong written = new AtomicLong();
        MessageDigest expected = TestUpstream.sha256();
        for (int i = 0; i < SIZE / (64 * 1024); i++) {
            expected.update(block(i));
        }
        String expectedSha = HexFormat.of().formatHex(expected.digest());
        try (TestUpstream up = TestUpstream.start("big", (req, res) -> {
                OutputStream out = res.stream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + SIZE + "\r\n\r\n").getBytes());
                for (int i = 0; i < SIZE / (64 * 1024); i++) {
                    out.write(block(i));
                    written.addAndGet(64 * 1024);
                }
                out.flush();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.socket().setReceiveBufferSize(64 * 1024);
            c.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
            awaitStill(written::get);
            assertTrue(written.get() < BOUND, "upstream wrote " + written.get() + " bytes to a client that reads none");
            RawHttpClient.Response r = c.read();
            assertEquals(SIZE, r.bodyLength());
            assertEquals(expectedSha, r.bodySha256());
        }
    }

    /**
     * Pipelined requests from a client that reads none of the answers: the next request waits while the client's
     * queue is past its high-water mark, so that answers small enough to arrive in one read (which never pause the
     * upstream mid-response) do not pile up in memory; then all are answered, in order. Before, 4,000 answers of
     * 8 KiB (32 MiB) were fetched and held at once.
     */
    @Test
    void aClientThatPipelinesAndDoesNotReadHasItsNextRequestsWait() throws Exception {
        int requests = 4000;
        byte[] answer = new byte[8 * 1024];
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, answer));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client().timeoutMillis(30_000)) {
            c.socket().setReceiveBufferSize(64 * 1024);
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < requests; i++) {
                all.append("GET /").append(i).append(" HTTP/1.1\r\nHost: h\r\n\r\n");
            }
            c.send(all.toString());
            awaitStill(up::pendingRequests);
            long fetched = (long) up.pendingRequests() * answer.length;
            assertTrue(fetched < BOUND, "fetched " + up.pendingRequests() + " answers (" + fetched + " bytes) for a"
                    + " client that reads none");
            for (int i = 0; i < requests; i++) {
                RawHttpClient.Response r = c.read();
                assertEquals(200, r.status(), "answer " + i);
                assertEquals(answer.length, r.bodyLength());
            }
            assertEquals(requests, up.pendingRequests(), "every request reached the upstream once, in the end");
        }
    }

    @Test
    void anUpstreamThatDoesNotReadStallsTheClient() throws Exception {
        AtomicLong sent = new AtomicLong();
        java.util.concurrent.CountDownLatch startReading = new java.util.concurrent.CountDownLatch(1);
        try (TestUpstream up = TestUpstream.start("sink", (req, res) -> res.send(200, req.bodyLength() + " " + req.bodySha256()));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()))) {
            // an upstream that accepts but does not read until told: a raw socket server
            try (java.net.ServerSocket lazy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                 EngineHarness lazyProxy = EngineHarness.start(EngineHarness.route()
                         .upstream("http://127.0.0.1:" + lazy.getLocalPort()));
                 RawHttpClient c = lazyProxy.client()) {
                lazy.setReceiveBufferSize(64 * 1024);
                Thread uploader = new Thread(() -> {
                    try {
                        c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + SIZE + "\r\n\r\n");
                        for (int i = 0; i < SIZE / (64 * 1024); i++) {
                            c.send(block(i));
                            sent.addAndGet(64 * 1024);
                        }
                    } catch (java.io.IOException e) {
                        // the test closes everything at the end
                    }
                });
                uploader.setDaemon(true);
                uploader.start();
                try (java.net.Socket s = lazy.accept()) {
                    long before = -1;
                    for (int i = 0; i < 40; i++) {
                        Thread.sleep(100);
                        long now = sent.get();
                        if (now == before) {
                            break;
                        }
                        before = now;
                    }
                    assertTrue(sent.get() < BOUND, "client pushed " + sent.get() + " bytes into an upstream that reads none");
                    // now drain it all: the upload completes
                    java.io.InputStream in = s.getInputStream();
                    byte[] headAndBody = in.readNBytes(4096);
                    assertTrue(new String(headAndBody, java.nio.charset.StandardCharsets.ISO_8859_1).startsWith("POST / HTTP/1.1"));
                    long total = headAndBody.length;
                    byte[] buf = new byte[65536];
                    s.setSoTimeout(10_000);
                    while (sent.get() < SIZE || total < SIZE) {
                        int r = in.read(buf);
                        if (r < 0) {
                            break;
                        }
                        total += r;
                        if (total >= SIZE + 40) {
                            break;
                        }
                    }
                    uploader.join(10_000);
                    assertEquals(SIZE, sent.get(), "the whole upload went through once the upstream read");
                }
            }
        }
    }
}
