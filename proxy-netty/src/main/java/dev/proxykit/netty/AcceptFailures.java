package dev.proxykit.netty;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a listening socket does when {@code accept(2)} fails, most often because the process has as many files open
 * as its limit allows ({@code EMFILE}): it stops accepting for a second, so that the event loop does not spin on a
 * socket that stays ready, and says so in one line. Connections already accepted go on being served, and those that
 * close free descriptors for the next accepts; the kernel keeps new connects in the listen backlog meanwhile.
 *
 * <p>Netty's own acceptor pauses the same way but then passes the exception to the end of the pipeline, which logs
 * "An exceptionCaught() event was fired, and it reached at the tail of the pipeline" and a stack trace every second;
 * nginx logs {@code accept4() failed (24: Too many open files)} and disables accepting for 500 ms. Sits first in the
 * listener's pipeline and handles the failure itself. Stateless: one instance serves every listener.
 */
@Sharable
final class AcceptFailures extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit.connection");

    /** How long a listener stops accepting after a failed accept; Netty's acceptor waits as long. */
    static final long PAUSE_MILLIS = 1_000;

    static final AcceptFailures INSTANCE = new AcceptFailures();

    private AcceptFailures() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        ChannelConfig config = ctx.channel().config();
        if (!config.isAutoRead()) {
            return; // already paused by an earlier failure of the same batch of accepts
        }
        config.setAutoRead(false);
        ctx.channel().eventLoop().schedule(() -> config.setAutoRead(true), PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        String message = String.valueOf(cause.getMessage());
        LOG.warn("listener {}: cannot accept connections: {}; accepting again in {} ms{}", ctx.channel().localAddress(),
                message, PAUSE_MILLIS, message.contains("Too many open files")
                        ? " (the process's open-files limit is reached: raise it with ulimit -n, or LimitNOFILE= in a"
                        + " systemd unit)"
                        : "");
    }
}
