package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Upgrades: after {@code 101 Switching Protocols} the exchange is a byte tunnel. A real WebSocket round trip, half-close
 * passed on each way, the idle timeout, either side's close tearing down the other; h2c never forwarded, and only
 * HTTP/1.1 requests upgrade.
 */
class UpgradeTunnelIT {

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

    @Test
    void aWebSocketRoundTripWorksThroughTheTunnel() throws Exception {
        try (WebSocketUpstream ws = new WebSocketUpstream();
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream("http://127.0.0.1:" + ws.port()))) {
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

    private static RawHttpClient upgraded(EngineHarness proxy) throws Exception {
        RawHttpClient c = proxy.client();
        c.send("GET /raw HTTP/1.1\r\nHost: h\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n");
        assertEquals(101, c.read().status());
        return c;
    }

    @Test
    void aHalfCloseFromTheClientReachesTheUpstreamWhichCanStillAnswer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
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
        }
    }

    @Test
    void aHalfCloseFromTheUpstreamReachesTheClientWhichCanStillSend() throws Exception {
        CountDownLatch upstreamGotLate = new CountDownLatch(1);
        StringBuilder late = new StringBuilder();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
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
        }
    }

    @Test
    void closingEitherSideTearsDownTheOther() throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort()))) {
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
    }

    @Test
    void anIdleTunnelIsClosedAfterTheIdleTimeout() throws Exception {
        CountDownLatch upstreamSawEof = new CountDownLatch(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             EngineHarness proxy = EngineHarness.start(EngineHarness.route()
                     .upstream("http://127.0.0.1:" + server.getLocalPort())
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
            c.exchange("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\n\r\n");
            assertNull(up.takeRequest(5).header("Upgrade"), "not even in a list");
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

    @Test
    void a101ToARequestThatAskedForNoUpgradeIsAnInvalidResponse() throws Exception {
        try (TestUpstream up = TestUpstream.start("a", (req, res) ->
                res.raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
             EngineHarness proxy = EngineHarness.start(EngineHarness.route().upstream(up.url()));
             RawHttpClient c = proxy.client()) {
            assertEquals(502, c.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status());
        }
    }
}
