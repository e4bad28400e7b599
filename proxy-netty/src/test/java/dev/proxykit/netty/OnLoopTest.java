package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.netty.health.HealthProbe;
import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.Errors;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connect whose channel cannot be created (as with no file descriptor left) is failed by Netty on another thread
 * than the loop; the proxy's listeners still run on the loop.
 */
class OnLoopTest {

    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;

    @BeforeEach
    void startLoop() {
        group = Transport.choose(TransportKind.EPOLL).newGroup(1, "on-loop-test");
        loop = group.next();
    }

    @AfterEach
    void stopLoop() throws InterruptedException {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** What {@code socket(2)} failing with EMFILE looks like to a {@code Bootstrap}; without a group. */
    private static Bootstrap noSocketsLeftAnywhere() {
        return new Bootstrap().channelFactory(() -> {
            throw new ChannelException(Errors.newIOException("newSocketStream", -24)); // as LinuxSocket does
        }).handler(new ChannelInboundHandlerAdapter());
    }

    private Bootstrap noSocketsLeft() {
        return noSocketsLeftAnywhere().group(loop);
    }

    private static InetSocketAddress somewhere() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
    }

    @Test
    void nettyFailsAConnectWhoseChannelCannotBeCreatedOffTheLoop() throws Exception {
        CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
        ChannelFuture f = noSocketsLeft().connect(somewhere());
        f.addListener(x -> onLoop.complete(loop.inEventLoop()));
        assertFalse(onLoop.get(10, TimeUnit.SECONDS), "why OnLoop exists");
    }

    @Test
    void theListenerRunsOnTheLoopWithTheFailure() throws Exception {
        CompletableFuture<String> seen = new CompletableFuture<>();
        ChannelFuture f = noSocketsLeft().connect(somewhere());
        OnLoop.listen(loop, f, cf -> seen.complete(loop.inEventLoop() + " " + IoErrors.describe(cf.cause())));
        assertEquals("true socket() failed (24: Too many open files)", seen.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aListenerAddedOnTheLoopToAFutureDoneThereRunsAtOnce() throws Exception {
        CompletableFuture<Boolean> ranInline = new CompletableFuture<>();
        loop.execute(() -> {
            Channel ch = new Bootstrap().group(loop).channel(Transport.choose(TransportKind.EPOLL).socketChannel())
                    .handler(new ChannelInboundHandlerAdapter()).register().channel();
            ChannelFuture done = ch.newSucceededFuture();
            boolean[] ran = {false};
            OnLoop.listen(loop, done, cf -> ran[0] = true);
            ranInline.complete(ran[0]);
            ch.close();
        });
        assertTrue(ranInline.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aHealthCheckWhoseSocketCannotBeCreatedReportsOnItsLoop() throws Exception {
        CompletableFuture<String> verdict = new CompletableFuture<>();
        HealthProbe.check(loop, noSocketsLeftAnywhere(), somewhere(), null, "localhost", "/", status -> true, 5_000,
                result -> verdict.complete(loop.inEventLoop() + " " + result.passed() + " " + result.detail()));
        String v = verdict.get(10, TimeUnit.SECONDS);
        assertEquals("true false connect failed: socket() failed (24: Too many open files)", v);
    }
}
