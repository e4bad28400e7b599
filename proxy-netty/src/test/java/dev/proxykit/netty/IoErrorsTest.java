package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class IoErrorsTest {

    static {
        Epoll.ensureAvailability(); // Netty's Errors reads the errno table from the native library
    }

    /** A real refused connect on each transport: nginx's words, without Netty's class or the address. */
    @Test
    void aRefusedConnectReadsAsNginxWritesIt() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        assertEquals("connect() failed (111: Connection refused)", refusedOn(TransportKind.EPOLL, closed));
        assertEquals("connect() failed (Connection refused)", refusedOn(TransportKind.NIO, closed),
                "NIO gives no errno");
    }

    private static String refusedOn(TransportKind kind, int port) throws InterruptedException {
        Transport transport = Transport.choose(kind);
        MultiThreadIoEventLoopGroup group = transport.newGroup(1, "io-errors-test");
        try {
            Throwable cause = new Bootstrap().group(group).channel(transport.socketChannel())
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                    .await().cause();
            return IoErrors.describe(cause);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void nativeFailuresNameTheSystemCallAndTheErrno() {
        assertEquals("recv() failed (104: Connection reset by peer)",
                IoErrors.describe(Errors.newConnectionResetException("recvAddress", -104)));
        assertEquals("writev() failed (32: Broken pipe)",
                IoErrors.describe(Errors.newIOException("writevAddresses", -32)));
        assertEquals("socket() failed (24: Too many open files)",
                IoErrors.describe(new ChannelException(Errors.newIOException("newSocketStream", -24))));
    }

    @Test
    void otherIoFailuresAreTheirMessageAndBugsKeepTheirClass() {
        assertEquals("Connection reset by peer", IoErrors.describe(new IOException("Connection reset by peer")));
        assertEquals("connection timed out after 5000 ms: /127.0.0.1:1",
                IoErrors.describe(new ConnectTimeoutException("connection timed out after 5000 ms: /127.0.0.1:1")));
        assertEquals("connect() failed (Connection refused)",
                IoErrors.describe(new ConnectException("Connection refused")));
        assertEquals("connection closed", IoErrors.describe(new ClosedChannelException()));
        assertEquals("connect() failed (no route to host)", IoErrors.describe(new java.net.NoRouteToHostException()));
        assertEquals("TLS: PKIX path building failed", IoErrors.describe(
                new DecoderException(new SSLHandshakeException("PKIX path building failed"))));
        assertEquals("java.lang.IllegalStateException: a bug",
                IoErrors.describe(new IllegalStateException("a bug")));
        assertEquals("unknown error", IoErrors.describe(null));
    }
}
