package dev.proxykit.netty;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to a connect on the event loop that asked for it, whatever thread completes it. A {@code Bootstrap}
 * completes a connect on the new channel's loop, except when the channel cannot even be created (no file descriptor
 * left: {@code EMFILE}): Netty then fails it on its {@code GlobalEventExecutor} thread, and a listener that touches
 * per-connection state (an exchange, a health check) would run beside the loop that owns that state.
 */
public final class OnLoop {

    private static final Logger LOG = LoggerFactory.getLogger(OnLoop.class);

    private OnLoop() {
    }

    /** Adds {@code listener} to {@code future}; it runs on {@code loop}, at once when the future completes there. */
    public static void listen(EventLoop loop, ChannelFuture future, ChannelFutureListener listener) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(listener, "listener");
        future.addListener((ChannelFuture f) -> {
            if (loop.inEventLoop()) {
                listener.operationComplete(f);
            } else {
                loop.execute(() -> {
                    try {
                        listener.operationComplete(f);
                    } catch (Throwable t) {
                        // as Netty does for a listener that throws: logged, not passed on
                        LOG.warn("a connect listener threw", t);
                    }
                });
            }
        });
    }
}
