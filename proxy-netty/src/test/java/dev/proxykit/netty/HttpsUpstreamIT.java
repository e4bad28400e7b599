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
}
