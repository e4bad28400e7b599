package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import dev.proxykit.runtime.config.TlsSettings;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestTls;
import dev.proxykit.testing.TestUpstream;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Upgrades: after {@code 101 Switching Protocols} the exchange is a byte tunnel. A real WebSocket round trip,
 * half-close passed on each way, the idle timeout (and traffic that outlasts it), either side's close tearing down
 * the other, a large transfer arriving whole with exact counts; each with every relay. h2c never forwarded (taken out of an Upgrade list), and only
 * HTTP/1.1 requests upgrade.
 */
class UpgradeTunnelIT {

    /** The ways a tunnel can relay; every tunnel test runs with each, and checks that it ran. */
    enum Relay {
        /** epoll with tunnel-splice on (the default on Linux): the kernel moves the bytes. */
        SPLICE(TransportKind.EPOLL, true),
        /** epoll with tunnel-splice off: buffers through the pipelines. */
        COPY(TransportKind.EPOLL, false),
        /** io_uring (when configured), which copies: splice is an epoll feature. */
        IO_URING(TransportKind.IO_URING, true),
        /** NIO, which cannot splice whatever the setting says. */
        NIO(TransportKind.NIO, true);

        final TransportKind transport;
        final boolean tunnelSplice;

        Relay(TransportKind transport, boolean tunnelSplice) {
            this.transport = transport;
            this.tunnelSplice = tunnelSplice;
        }

        EngineHarness start(EngineHarness.RouteSpec route) throws Exception {
            return TransportIT.start(transport, route, s -> s.tunnelSplice = tunnelSplice);
        }

        /** Fails unless the tunnels since {@code splicedBefore} spliced exactly when this relay should. */
        void assertUsed(long splicedBefore) {
            long spliced = Tunnel.SPLICED.sum() - splicedBefore;
            if (this == SPLICE) {
                assertTrue(spliced > 0, "the tunnel spliced");
            } else {
                assertEquals(0, spliced, "no tunnel spliced");
            }
        }
    }

    private long splicedBefore;

    @BeforeEach
    void countSplicedTunnels() {
        splicedBefore = Tunnel.SPLICED.sum();
    }

    /** A real WebSocket server (Netty's) that echoes text frames in upper case. */
    private static final class WebSocketUpstream implements AutoCloseable {
        final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final Channel server;

        WebSocketUpstream() throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                    new WebSocketServerProtocolHandler("/ws"),
                                    new io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator(1 << 20),
                                    new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                            ctx.writeAndFlush(new TextWebSocketFrame(f.text().toUpperCase()));
                                        }
                                    });
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        }

        int port() {
            return ((InetSocketAddress) server.localAddress()).getPort();
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void aWebSocketRoundTripWorksThroughTheTunnel(Relay relay) throws Exception {
        try (WebSocketUpstream ws = new WebSocketUpstream();
             EngineHarness proxy = relay.start(EngineHarness.route().upstream("http://127.0.0.1:" + ws.port()))) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            HttpClient http = HttpClient.newHttpClient();
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + proxy.port() + "/ws"),
                    new WebSocket.Listener() {
                        private final StringBuilder message = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                            message.append(data); // a large message may arrive in parts
                            if (last) {
                                received.add(message.toString());
                                message.setLength(0);
                            }
                            webSocket.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            for (String word : List.of("hello", "tunnel", "x".repeat(70_000))) {
                socket.sendText(word, true).get(5, TimeUnit.SECONDS);
                String echoed = received.poll(5, TimeUnit.SECONDS);
                assertTrue(word.toUpperCase().equals(echoed), "frames go both ways: sent " + word.length()
                        + " chars, got " + (echoed == null ? "nothing" : echoed.length() + " chars"));
            }
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            AccessRecord rec = proxy.accessLog().take(10);
            assertEquals(101, rec.status());
            assertTrue(rec.requestBodyBytes() > 70_000, "tunnel bytes counted: " + rec.requestBodyBytes());
        }
        relay.assertUsed(splicedBefore);
    }

    /** A raw upstream that answers an upgrade with 101 and then runs {@code afterUpgrade} on the socket. */
    private interface RawTunnelPeer {
        void run(Socket s, InputStream in, OutputStream out) throws Exception;
    }

    private static Thread rawUpgradeUpstream(ServerSocket server, RawTunnelPeer afterUpgrade) {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                ConnectionBehaviourIT.TestUpstreamAccess.readHead(in);
                out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                afterUpgrade.run(s, in, out);
            } catch (Exception e) {
                // the test ends the connection
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static EngineHarness.RouteSpec routeTo(ServerSocket server) {
        return EngineHarness.route().upstream("http://127.0.0.1:" + server.getLocalPort());
    }

    private static RawHttpClient upgraded(EngineHarness proxy) throws Exception {
        RawHttpClient c = proxy.client();
        c.send("GET /raw HTTP/1.1\r\nHost: h\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n");
        assertEquals(101, c.read().status());
        return c;
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void aHalfCloseFromTheClientReachesTheUpstreamWhichCanStillAnswer(Relay relay) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                byte[] all = in.readAllBytes(); // until the client's FIN arrives
                out.write(("got " + new String(all, StandardCharsets.US_ASCII) + " then EOF").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                c.send("request-bytes");
                c.socket().shutdownOutput();
                String answer = new String(c.input().readAllBytes(), StandardCharsets.US_ASCII);
                assertEquals("got request-bytes then EOF", answer);
            }
            assertCounted(proxy, "request-bytes".length(), "got request-bytes then EOF".length());
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void aHalfCloseFromTheUpstreamReachesTheClientWhichCanStillSend(Relay relay) throws Exception {
        CountDownLatch upstreamGotLate = new CountDownLatch(1);
        StringBuilder late = new StringBuilder();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                out.write("server-done".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.shutdownOutput();
                late.append(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                upstreamGotLate.countDown();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                String fromUpstream = new String(c.input().readAllBytes(), StandardCharsets.US_ASCII);
                assertEquals("server-done", fromUpstream, "the upstream's FIN ends what the client reads");
                c.send("client-still-talking");
                c.socket().shutdownOutput();
                assertTrue(upstreamGotLate.await(5, TimeUnit.SECONDS));
                assertEquals("client-still-talking", late.toString());
            }
            assertCounted(proxy, "client-still-talking".length(), "server-done".length());
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void thirtyTwoMebibytesEachWayArriveWholeAndAreCountedExactly(Relay relay) throws Exception {
        int size = 32 << 20;
        AtomicReference<Received> upstreamGot = new AtomicReference<>();
        AtomicReference<byte[]> upstreamSent = new AtomicReference<>();
        CountDownLatch upstreamDone = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                // sends at once: its first bytes may arrive with the 101, as leftovers of the response head
                CompletableFuture<byte[]> sent = sendThenFin(s, out, size, 2);
                upstreamGot.set(readToEof(in));
                upstreamSent.set(sent.get(60, TimeUnit.SECONDS));
                upstreamDone.countDown();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                CompletableFuture<byte[]> sent = sendThenFin(c.socket(), c.output(), size, 1);
                Received got = readToEof(c.input());
                byte[] clientSent = sent.get(60, TimeUnit.SECONDS);
                assertTrue(upstreamDone.await(60, TimeUnit.SECONDS), "the upstream read to the client's FIN");
                assertEquals(size, upstreamGot.get().length(), "client to upstream: every byte, then the FIN");
                assertArrayEquals(clientSent, upstreamGot.get().sha256(), "client to upstream: the same bytes");
                assertEquals(size, got.length(), "upstream to client: every byte, then the FIN");
                assertArrayEquals(upstreamSent.get(), got.sha256(), "upstream to client: the same bytes");
            }
            assertCounted(proxy, size, size);
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void anUpstreamThatReadsLateStillGetsEveryByteBeforeTheFin(Relay relay) throws Exception {
        // the upstream reads nothing for a while, with a small receive buffer: the client's last bytes and FIN
        // reach the proxy while earlier ones still wait to be written upstream (here 3 MiB fill the buffers on the
        // way to the upstream but fit in those before the proxy); the FIN must wait for all of them
        int bulk = 3 << 20;
        byte[] bytes = new byte[bulk + 4];
        new Random(3).nextBytes(bytes);
        AtomicReference<Received> upstreamGot = new AtomicReference<>();
        CountDownLatch upstreamDone = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(4096);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            try (EngineHarness proxy = relay.start(routeTo(server))) {
                rawUpgradeUpstream(server, (s, in, out) -> {
                    Thread.sleep(1500);
                    upstreamGot.set(readToEof(in));
                    upstreamDone.countDown();
                });
                try (RawHttpClient c = upgraded(proxy)) {
                    c.send(Arrays.copyOf(bytes, bulk));
                    Thread.sleep(300);
                    c.send(Arrays.copyOfRange(bytes, bulk, bytes.length));
                    c.socket().shutdownOutput();
                    assertTrue(upstreamDone.await(10, TimeUnit.SECONDS), "the upstream read to the FIN");
                    assertEquals(bytes.length, upstreamGot.get().length(), "every byte, then the FIN");
                    assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(bytes), upstreamGot.get().sha256());
                    assertTrue(c.isClosedByPeer(5000));
                }
                assertCounted(proxy, bytes.length, 0);
            }
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void afterAHalfCloseFromTheClientALargeAnswerStillArrivesWhole(Relay relay) throws Exception {
        int size = 16 << 20;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server))) {
            AtomicReference<byte[]> sentSha = new AtomicReference<>();
            rawUpgradeUpstream(server, (s, in, out) -> {
                in.readAllBytes(); // until the client's FIN
                sentSha.set(sendThenFin(s, out, size, 5).get(60, TimeUnit.SECONDS));
            });
            try (RawHttpClient c = upgraded(proxy)) {
                c.send("x");
                c.socket().shutdownOutput();
                Thread.sleep(1000); // the answer fills every buffer on the way while the client reads nothing
                Received got = readToEof(c.input());
                assertEquals(size, got.length(), "every byte of the answer");
            }
            assertCounted(proxy, 1, size);
        }
        relay.assertUsed(splicedBefore);
    }

    /** The tunnel's access record (it comes once both sides closed) counts exactly these bytes each way. */
    static void assertCounted(EngineHarness proxy, long clientToUpstream, long upstreamToClient)
            throws InterruptedException {
        AccessRecord rec = proxy.accessLog().take(10);
        assertEquals(101, rec.status());
        assertEquals(clientToUpstream, rec.requestBodyBytes(), "client to upstream, counted exactly");
        assertEquals(upstreamToClient, rec.responseBodyBytes(), "upstream to client, counted exactly");
    }

    /** What {@link #readToEof} read: its SHA-256 and length. */
    private record Received(byte[] sha256, long length) {
    }

    private static Received readToEof(InputStream in) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        long length = 0;
        for (int n; (n = in.read(buf)) >= 0; length += n) {
            sha.update(buf, 0, n);
        }
        return new Received(sha.digest(), length);
    }

    /** On a thread of its own, writes {@code size} bytes of seeded noise, then half-closes; gives their SHA-256. */
    private static CompletableFuture<byte[]> sendThenFin(Socket s, OutputStream out, int size, long seed) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                Random random = new Random(seed);
                byte[] chunk = new byte[65536];
                for (int sent = 0; sent < size; sent += chunk.length) {
                    random.nextBytes(chunk);
                    sha.update(chunk);
                    out.write(chunk);
                }
                out.flush();
                s.shutdownOutput();
                result.complete(sha.digest());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return result;
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void closingEitherSideTearsDownTheOther(Relay relay) throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                in.readAllBytes();
                upstreamSawEof.countDown();
            });
            RawHttpClient c = upgraded(proxy);
            c.socket().setSoLinger(true, 0);
            c.close(); // a reset from the client
            assertTrue(upstreamSawEof.await(5, TimeUnit.SECONDS), "the upstream side was closed too");

            rawUpgradeUpstream(server, (s, in, out) -> s.close());
            try (RawHttpClient c2 = upgraded(proxy)) {
                assertTrue(c2.isClosedByPeer(5000), "the client side was closed when the upstream closed");
            }
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void anIdleTunnelIsClosedAfterTheIdleTimeout(Relay relay) throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server)
                     .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(400)))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                in.readAllBytes();
                upstreamSawEof.countDown();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                assertTrue(c.isClosedByPeer(5000), "closed after nothing moved");
                assertTrue(upstreamSawEof.await(5, TimeUnit.SECONDS));
            }
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void aTunnelOpenWhenTheShutdownGracePeriodRunsOutIsClosedAndLoggedAsCutByTheShutdown(Relay relay)
            throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EngineHarness proxy = relay.start(routeTo(server));
            rawUpgradeUpstream(server, (s, in, out) -> {
                in.readAllBytes();
                upstreamSawEof.countDown();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                proxy.shutdown(Duration.ofMillis(300));
                assertTrue(c.isClosedByPeer(5000), "the client side closed");
                assertTrue(upstreamSawEof.await(5, TimeUnit.SECONDS), "the upstream side closed");
                AccessRecord rec = proxy.accessLog().take(5);
                assertEquals(101, rec.status(), "what the client got: " + rec);
                assertEquals("shutdown", rec.failureReason(), "not a close by either peer: " + rec);
                assertEquals(dev.proxykit.api.Phase.TUNNEL, rec.failurePhase());
            }
        }
        relay.assertUsed(splicedBefore);
    }

    @ParameterizedTest
    @EnumSource(Relay.class)
    void aTunnelWhoseTrafficOutlastsTheIdleTimeoutStaysOpenUntilItGoesQuiet(Relay relay) throws Exception {
        // idle timeout 1 s; a byte every 200 ms for 1.4 s from the upstream, then for 1.4 s from the client: each
        // direction alone must keep the tunnel open longer than the idle timeout
        AtomicReference<String> upstreamGot = new AtomicReference<>();
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = relay.start(routeTo(server)
                     .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1)))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                for (int i = 0; i < 7; i++) {
                    out.write('u');
                    out.flush();
                    Thread.sleep(200);
                }
                upstreamGot.set(new String(in.readAllBytes(), StandardCharsets.US_ASCII)); // to the idle close
                upstreamSawEof.countDown();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                for (int i = 0; i < 7; i++) {
                    assertEquals('u', c.input().read(), "byte " + i + " from the upstream");
                }
                for (int i = 0; i < 7; i++) {
                    c.send("c");
                    Thread.sleep(200);
                }
                assertTrue(c.isClosedByPeer(5000), "closed once nothing moved");
                assertTrue(upstreamSawEof.await(5, TimeUnit.SECONDS));
                assertEquals("ccccccc", upstreamGot.get(), "every byte of the client arrived before the idle close");
            }
        }
        relay.assertUsed(splicedBefore);
    }

    @Test
    void aTunnelToAnHttpsUpstreamCopiesWhereSplicingIsOn() throws Exception {
        try (ServerSocket server = TestTls.serverContext().getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = Relay.SPLICE.start(EngineHarness.route()
                     .upstream("https://localhost:" + server.getLocalPort())
                     .tls(new TlsSettings(TestTls.caFile(), false)))) {
            rawUpgradeUpstream(server, (s, in, out) -> {
                out.write(("echo:" + new String(in.readNBytes(4), StandardCharsets.US_ASCII))
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.readAllBytes();
            });
            try (RawHttpClient c = upgraded(proxy)) {
                c.send("ping");
                assertEquals("echo:ping", new String(c.input().readNBytes(9), StandardCharsets.US_ASCII));
            }
            assertCounted(proxy, "ping".length(), "echo:ping".length());
        }
        assertEquals(0, Tunnel.SPLICED.sum() - splicedBefore, "bytes to decrypt pass through the JVM: no splice");
    }

    @Test
    void h2cUpgradesAreNeverForwarded() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            RawHttpClient.Response r = c.exchange("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            assertEquals(200, r.status(), "answered as plain HTTP/1.1");
            TestUpstream.Request req = up.takeRequest(5);
            assertNull(req.header("Upgrade"));
            assertNull(req.header("HTTP2-Settings"));
            assertNull(req.header("Connection"));
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c, websocket\r\nConnection: Upgrade\r\n\r\n");
            TestUpstream.Request listed = up.takeRequest(5);
            assertEquals("websocket", listed.header("Upgrade"), "h2c taken out of a list; the rest still offered");
            assertEquals("Upgrade", listed.header("Connection"));
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: H2C , h2c\r\nConnection: Upgrade\r\n\r\n");
            assertNull(up.takeRequest(5).header("Upgrade"), "nothing left to offer");
        }
    }

    @Test
    void onlyHttp11RequestsUpgrade() throws Exception {
        try (TestUpstream up = TestUpstream.echo("a");
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            TestUpstream.Request req = up.takeRequest(5);
            assertNull(req.header("Upgrade"));
            assertNull(req.header("Connection"));
        }
    }

    /**
     * A 101 to a request that asked for no upgrade, to a protocol the client did not offer (RFC 9110 7.8: h2c to a
     * WebSocket offer, the smuggling path the request side closes), or without saying which (15.2.2) is a 502: no
     * tunnel opens.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"|Upgrade: websocket", "Upgrade: websocket|Upgrade: h2c",
        "Upgrade: websocket|Upgrade: websocket, h2c", "Upgrade: websocket|X-None: 1"})
    void a101TheClientDidNotAskForIsAnInvalidResponse(String offer, String answer) throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) ->
                res.raw("HTTP/1.1 101 Switching Protocols\r\n" + answer + "\r\nConnection: Upgrade\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            String upgrade = offer == null ? "" : offer + "\r\nConnection: Upgrade\r\n";
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n" + upgrade + "\r\n").status());
            AccessRecord rec = proxy.accessLog().take(5);
            assertEquals("upstream_invalid_response", rec.failureReason());
        }
    }
}
