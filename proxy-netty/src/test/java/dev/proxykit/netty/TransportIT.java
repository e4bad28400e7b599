package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same exchanges on every transport the engine can run on: epoll (the default on Linux), io_uring (when
 * configured) and NIO. Each test checks first that the engine runs on the transport it names.
 */
class TransportIT {

    private static final int MIB = 1024 * 1024;

    /** Starts the engine on {@code kind} (skipped, saying why, where this system lacks it); checks it runs on it. */
    static EngineHarness start(TransportKind kind, EngineHarness.RouteSpec route,
                               Consumer<EngineHarness.Settings> settings) throws Exception {
        if (kind == TransportKind.EPOLL) {
            assumeTrue(Epoll.isAvailable(), () -> "epoll is not available here: " + Epoll.unavailabilityCause());
        } else if (kind == TransportKind.IO_URING) {
            assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
        }
        EngineHarness proxy = EngineHarness.start(List.of(route), s -> {
            s.transport = kind;
            settings.accept(s);
        });
        assertEquals(kind.name().toLowerCase(Locale.ROOT), proxy.engine().transport().name(), "the transport in use");
        return proxy;
    }

    private static EngineHarness start(TransportKind kind, EngineHarness.RouteSpec route) throws Exception {
        return start(kind, route, s -> s.workers = 1);
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING", "NIO"})
    void keepAliveExchangesKeepHeaderCaseAndReuseOneUpstreamConnection(TransportKind kind) throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> res.send(200, "answer to " + req.target(),
                "X-MiXeD-Response", req.header("x-mixed-request")));
             EngineHarness proxy = start(kind, EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            for (int i = 0; i < 20; i++) {
                RawHttpClient.Response r = c.exchange("GET /r" + i + " HTTP/1.1\r\nHost: h\r\nx-MIXED-request: " + i
                        + "\r\n\r\n");
                assertEquals(200, r.status());
                assertEquals("answer to /r" + i, r.bodyText());
                assertTrue(r.rawHead().contains("\r\nX-MiXeD-Response: " + i + "\r\n"), r.rawHead());
                assertTrue(up.takeRequest(5).rawHeadText().contains("\r\nx-MIXED-request: " + i + "\r\n"));
            }
            assertEquals(1, up.connections(), "one keep-alive upstream connection serves all twenty");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING", "NIO"})
    void largeBodiesStreamBothWaysIntact(TransportKind kind) throws Exception {
        int blocks = 16;
        String expected = BodyStreamingIT.sha(blocks);
        try (TestUpstream up = TestUpstream.start("a", (req, res) -> {
                if (req.method().equals("POST")) {
                    res.send(200, req.bodyLength() + " " + req.bodySha256());
                    return;
                }
                OutputStream out = res.stream();
                out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < blocks; i++) {
                    out.write((Integer.toHexString(MIB) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(BodyStreamingIT.block(i));
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
             EngineHarness proxy = start(kind, EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: " + (long) blocks * MIB + "\r\n\r\n");
            for (int i = 0; i < blocks; i++) {
                c.send(BodyStreamingIT.block(i));
            }
            assertEquals((long) blocks * MIB + " " + expected, c.read().bodyText(), "upload");
            RawHttpClient.Response down = c.exchange("GET /down HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(200, down.status());
            assertEquals("chunked", down.header("Transfer-Encoding"));
            assertEquals((long) blocks * MIB, down.bodyLength());
            assertEquals(expected, down.bodySha256(), "download");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"EPOLL", "IO_URING", "NIO"})
    void aClientGoneBeforeTheResponseIs499(TransportKind kind) throws Exception {
        CountDownLatch requestSeen = new CountDownLatch(1);
        CountDownLatch upstreamSawClose = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = start(kind, EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    ConnectionBehaviourIT.TestUpstreamAccess.readHead(s.getInputStream());
                    requestSeen.countDown();
                    s.setSoTimeout(10_000);
                    InputStream in = s.getInputStream();
                    if (in.read() < 0) { // the proxy closes the upstream connection it can no longer finish
                        upstreamSawClose.countDown();
                    }
                } catch (java.io.IOException e) {
                    upstreamSawClose.countDown(); // a reset counts too
                }
            });
            t.start();
            try (RawHttpClient c = proxy.client()) { // closed again on a failed assertion; a second close does nothing
                c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
                assertTrue(requestSeen.await(5, TimeUnit.SECONDS), "the request reached the upstream");
                c.close();
                assertTrue(upstreamSawClose.await(5, TimeUnit.SECONDS), "the upstream connection was closed");
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(499, rec.status());
            }
            t.join(5_000);
        }
    }
}
