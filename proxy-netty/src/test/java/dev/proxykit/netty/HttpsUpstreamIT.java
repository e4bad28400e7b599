package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import dev.proxykit.runtime.config.TlsSettings;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestTls;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https upstreams: verification against a CA file or the JDK trust store, SNI, host name checks, insecure mode. */
class HttpsUpstreamIT {

    @Test
    void verifiesTheUpstreamAgainstTheConfiguredCaAndSendsSni() throws Exception {
        try (TestUpstream up = TestUpstream.startTls("tls", (req, res) -> res.send(200, "secure"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.httpsUrl("localhost"))
                     .tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("secure", r.bodyText());
            assertEquals("localhost", up.takeRequest(5).sni(), "SNI carries the upstream host name");
            // keep-alive over TLS too
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertEquals(1, up.connections());
        }
    }

    @Test
    void anIpAddressUpstreamIsVerifiedAgainstTheCertificatesIpAndGetsNoSni() throws Exception {
        try (TestUpstream up = TestUpstream.startTls("tls", (req, res) -> res.send(200, "ok"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.httpsUrl("127.0.0.1"))
                     .tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
            assertNull(up.takeRequest(5).sni(), "RFC 6066: no SNI for an IP address");
        }
    }

    @Test
    void anUntrustedCertificateGives502WithATlsReason() throws Exception {
        try (TestUpstream up = TestUpstream.startTls("tls", (req, res) -> res.send(200, "secure"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.httpsUrl("localhost")));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status(),
                    "the JDK trust store does not know the test CA");
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("upstream_tls_failure", rec.failureReason());
            assertEquals(Phase.CONNECT, rec.failurePhase());
            assertNull(up.pollRequest(200), "no request went over an unverified connection");
        }
    }

    @Test
    void aHostNameTheCertificateDoesNotCoverGives502() throws Exception {
        try (TestUpstream up = TestUpstream.startTls("tls", (req, res) -> res.send(200, "secure"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("https://127.0.0.2:" + up.port()) // not in the certificate (and not listening)
                     .tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }
    }

    @Test
    void insecureModeSkipsVerification() throws Exception {
        try (TestUpstream up = TestUpstream.startTls("tls", (req, res) -> res.send(200, "anything goes"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.httpsUrl("localhost"))
                     .tls(new TlsSettings(null, true)));
             RawHttpClient c = proxy.client()) {
            assertEquals("anything goes", c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
        }
    }

    @Test
    void anUnreadableCaFileIsAStartupError(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
        IOException e = assertThrows(IOException.class,
                () -> UpstreamTls.clientContext(new TlsSettings(junk, false), "r"));
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> UpstreamTls.clientContext(new TlsSettings(dir.resolve("missing.pem"), false), "r"));
        assertTrue(missing.getMessage().contains("cannot read CA file"), missing.getMessage());
    }

    /**
     * A raw TLS upstream on loopback for the host name {@code localhost}, serving each connection with {@code serve}.
     * The TLS socket is layered over the accepted one, so that its {@code shutdownOutput} sends a close_notify and
     * nothing more: TCP stays open, as with upstreams that end keep-alive or a body that way.
     */
    private static java.net.ServerSocket rawTls(ExchangeErrorPathsIT.Serve serve) throws IOException {
        java.net.ServerSocket server = new java.net.ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
        ExchangeErrorPathsIT.serveAll(server, plain -> {
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) TestTls.serverContext().getSocketFactory()
                    .createSocket(plain, null, plain.getPort(), false);
            tls.setUseClientMode(false);
            tls.startHandshake();
            serve.serve(tls);
        });
        return server;
    }

    /** RFC 8446 6.1: a close_notify ends what the upstream sends, whether or not TCP closes with it. */
    @Test
    void aCloseNotifyEndsABodyDelimitedByTheConnectionsEndAtOnce() throws Exception {
        try (java.net.ServerSocket server = rawTls(s -> {
                ExchangeErrorPathsIT.readHead(s.getInputStream());
                s.getOutputStream().write("HTTP/1.1 200 OK\r\n\r\nuntil the end".getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput(); // close_notify; TCP stays open
                s.getInputStream().read();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("https://localhost:" + server.getLocalPort()).tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("until the end", r.bodyText(), "ended by the close_notify, not by the 60 s idle timeout");
            assertEquals(null, proxy.accessLog().take(5).failureReason());
        }
    }

    @Test
    void aPooledConnectionTheUpstreamEndedWithACloseNotifyIsNotUsedAgain() throws Exception {
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.ServerSocket server = rawTls(s -> {
                boolean first = connections.incrementAndGet() == 1;
                String head = ExchangeErrorPathsIT.readHead(s.getInputStream());
                ExchangeErrorPathsIT.readN(s.getInputStream(), ExchangeErrorPathsIT.contentLength(head));
                String body = first ? "first" : "fresh";
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body).getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                if (first) {
                    Thread.sleep(200);
                    s.shutdownOutput(); // the upstream's keep-alive ends: close_notify, TCP left open
                    ended.countDown();
                }
                s.getInputStream().read();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("https://localhost:" + server.getLocalPort()).tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            assertEquals("first", c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
            assertTrue(ended.await(5, java.util.concurrent.TimeUnit.SECONDS));
            Thread.sleep(200);
            RawHttpClient.Response post = c.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(200, post.status(), "a POST is never retried: it must not be sent into the ended connection");
            assertEquals("fresh", post.bodyText());
            assertEquals(2, connections.get());
        }
    }

    /** Over TLS a half-close is a close_notify then the FIN (RFC 8446 6.1); a bare FIN reads as truncation. */
    @Test
    void aClientHalfCloseInATunnelReachesAnHttpsUpstreamAsACloseNotifyAndItsAnswerStillComesBack() throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> ending = new java.util.concurrent.atomic.AtomicReference<>();
        try (java.net.ServerSocket server = rawTls(s -> {
                ExchangeErrorPathsIT.readHead(s.getInputStream());
                s.getOutputStream().write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                try {
                    s.getInputStream().transferTo(got);
                    ending.set("clean end after " + got.size() + " bytes");
                } catch (IOException e) {
                    ending.set("failed after " + got.size() + " bytes: " + e);
                    throw e;
                }
                s.getOutputStream().write(("got " + got.size()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput();
            });
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("https://localhost:" + server.getLocalPort()).tls(new TlsSettings(TestTls.caFile(), false)));
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            c.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
            assertEquals(101, c.read().status());
            c.send("hello, tunnel");
            c.socket().shutdownOutput();
            String answer = new String(c.input().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertEquals("got 13", answer, "the upstream saw: " + ending.get());
        }
    }
}
