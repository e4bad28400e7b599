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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https upstreams: verification against a CA file or the JDK trust store, SNI, host name checks, insecure mode. */
class HttpsUpstreamIT {

    /** An upstream's answer to the upgrades these tests ask for. */
    private static final String SWITCHING =
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";

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
    private static ServerSocket rawTls(ExchangeErrorPathsIT.Serve serve) throws IOException {
        return rawTls(null, serve);
    }

    /** As {@link #rawTls(ExchangeErrorPathsIT.Serve)}, speaking only {@code protocol} (null: what the JDK offers). */
    private static ServerSocket rawTls(String protocol, ExchangeErrorPathsIT.Serve serve) throws IOException {
        ServerSocket server = new ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
        ExchangeErrorPathsIT.serveAll(server, plain -> {
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) TestTls.serverContext().getSocketFactory()
                    .createSocket(plain, null, plain.getPort(), false);
            tls.setUseClientMode(false);
            if (protocol != null) {
                tls.setEnabledProtocols(new String[] {protocol});
            }
            tls.startHandshake();
            serve.serve(tls);
        });
        return server;
    }

    /** RFC 8446 6.1: a close_notify ends what the upstream sends, whether or not TCP closes with it. */
    @Test
    void aCloseNotifyEndsABodyDelimitedByTheConnectionsEndAtOnce() throws Exception {
        try (ServerSocket server = rawTls(s -> {
                ExchangeErrorPathsIT.readHead(s.getInputStream());
                s.getOutputStream().write("HTTP/1.1 200 OK\r\n\r\nuntil the end".getBytes(
                        StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput(); // close_notify; TCP stays open
                s.getInputStream().read();
            });
             EngineHarness proxy = proxyTo(server);
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("until the end", r.bodyText(), "ended by the close_notify, not by the 60 s idle timeout");
            assertEquals(null, proxy.accessLog().take(5).failureReason());
        }
    }

    @Test
    void aPooledConnectionTheUpstreamEndedWithACloseNotifyIsNotUsedAgain() throws Exception {
        CountDownLatch ended = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (ServerSocket server = rawTls(s -> {
                boolean first = connections.incrementAndGet() == 1;
                String head = ExchangeErrorPathsIT.readHead(s.getInputStream());
                ExchangeErrorPathsIT.readN(s.getInputStream(), ExchangeErrorPathsIT.contentLength(head));
                String body = first ? "first" : "fresh";
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body).getBytes(
                        StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                if (first) {
                    Thread.sleep(200);
                    s.shutdownOutput(); // the upstream's keep-alive ends: close_notify, TCP left open
                    ended.countDown();
                }
                s.getInputStream().read();
            });
             EngineHarness proxy = proxyTo(server);
             RawHttpClient c = proxy.client().timeoutMillis(5000)) {
            assertEquals("first", c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText());
            assertTrue(ended.await(5, TimeUnit.SECONDS));
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
        try (ServerSocket server = rawTls(s -> {
                ExchangeErrorPathsIT.readHead(s.getInputStream());
                s.getOutputStream().write(SWITCHING.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                try {
                    s.getInputStream().transferTo(got);
                    ending.set("clean end after " + got.size() + " bytes");
                } catch (IOException e) {
                    ending.set("failed after " + got.size() + " bytes: " + e);
                    throw e;
                }
                s.getOutputStream().write(("got " + got.size()).getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput();
            });
             EngineHarness proxy = proxyTo(server);
             RawHttpClient c = upgradedTo(proxy)) {
            c.send("hello, tunnel");
            c.socket().shutdownOutput();
            String answer = new String(c.input().readAllBytes(), StandardCharsets.US_ASCII);
            assertEquals("got 13", answer, "the upstream saw: " + ending.get());
        }
    }

    private static RawHttpClient upgradedTo(EngineHarness proxy) throws IOException {
        RawHttpClient c = proxy.client().timeoutMillis(5000);
        c.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
        assertEquals(101, c.read().status());
        return c;
    }

    private static EngineHarness proxyTo(ServerSocket server) throws Exception {
        return EngineHarness.start(EngineHarness.route()
                .upstream("https://localhost:" + server.getLocalPort()).tls(new TlsSettings(TestTls.caFile(), false)));
    }

    /** What a test does once the client of a tunnel read all that the upstream sent before its close_notify. */
    private interface AfterTheUpstreamsEnd {
        void run(RawHttpClient c, CompletableFuture<String> upstreamReceived, EngineHarness proxy) throws Exception;
    }

    /**
     * Opens a tunnel through the proxy to an https upstream speaking {@code protocol} (null: what the JDK offers),
     * which answers the upgrade with 101, sends {@code bytes} and then a close_notify, TCP left open. Asserts that the
     * client reads those bytes and then the end, and goes on with {@code then}: {@code upstreamReceived} completes with
     * what the upstream reads after its close_notify until the proxy's (or with its failure). The upstream holds TCP
     * open until the test ends: only the proxy can end the tunnel. A tunnel's access record comes when both its
     * connections are closed.
     */
    private static void tunnelToAnUpstreamEndingItsSide(String protocol, String bytes, AfterTheUpstreamsEnd then)
            throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket server = rawTls(protocol, s -> {
                ExchangeErrorPathsIT.readHead(s.getInputStream());
                s.getOutputStream().write((SWITCHING + bytes).getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                s.shutdownOutput(); // close_notify; TCP stays open
                try {
                    received.complete(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    received.complete("failed: " + e);
                }
                release.await(10, TimeUnit.SECONDS);
            });
             EngineHarness proxy = proxyTo(server);
             RawHttpClient c = upgradedTo(proxy)) {
            assertEquals(bytes, new String(c.input().readAllBytes(), StandardCharsets.US_ASCII),
                    "the close_notify ends what the client reads, after the bytes before it");
            then.run(c, received, proxy);
        } finally {
            release.countDown();
        }
    }

    /** Over TLS 1.3 the upstream's half-close is its close_notify: the client gets a FIN, and its way goes on. */
    @Test
    void aCloseNotifyFromAnHttpsUpstreamInATunnelReachesTheClientAsAFinAndTheClientCanStillSend() throws Exception {
        tunnelToAnUpstreamEndingItsSide(null, "server-done", (c, received, proxy) -> {
            c.send("client-still-talking");
            c.socket().shutdownOutput();
            assertEquals("client-still-talking", received.get(5, TimeUnit.SECONDS),
                    "the client's way stayed open, and its half-close reached the upstream as a close_notify");
            UpgradeTunnelIT.assertCounted(proxy, "client-still-talking".length(), "server-done".length());
        });
    }

    /** Both ways ended, the upstream's by a close_notify with TCP still open: the proxy closes both connections. */
    @Test
    void aTunnelWhoseHttpsUpstreamSentACloseNotifyEndsWhenTheClientHalfCloses() throws Exception {
        tunnelToAnUpstreamEndingItsSide(null, "bye", (c, received, proxy) -> {
            c.socket().shutdownOutput();
            assertEquals("", received.get(5, TimeUnit.SECONDS), "a clean close_notify, no truncation");
            UpgradeTunnelIT.assertCounted(proxy, 0, "bye".length());
        });
    }

    /** TLS 1.2 has no half-close: a close_notify ends both ways, answered with one, pending writes dropped. */
    @Test
    void aCloseNotifyFromATls12UpstreamInATunnelEndsBothWays() throws Exception {
        tunnelToAnUpstreamEndingItsSide("TLSv1.2", "server-done", (c, received, proxy) -> {
            assertEquals("", received.get(5, TimeUnit.SECONDS), "answered with a close_notify (RFC 5246 7.2.1)");
            UpgradeTunnelIT.assertCounted(proxy, 0, "server-done".length()); // the client did nothing
        });
    }
}
