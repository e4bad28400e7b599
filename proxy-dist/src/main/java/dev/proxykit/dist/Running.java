package dev.proxykit.dist;

import dev.proxykit.runtime.ProxyServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a started launcher runs (the demo's upstreams, then the proxy) and the one way to stop it all.
 *
 * <p><b>Threads.</b> Thread-safe: parts are added by the launcher's main thread while a signal handler or the
 * shutdown hook may call {@link #stop()}. The first {@link #stop()} closes the parts in reverse order (the proxy
 * first, letting in-flight exchanges finish within its grace period, then the upstreams they were talking to); a
 * concurrent or later call waits until that is done. A part added after {@link #stop()} began is closed at once.
 */
final class Running {

    private static final Logger LOG = LoggerFactory.getLogger(Running.class);

    private final List<AutoCloseable> parts = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean stopping;
    /** What {@link #stop()} closes, once it began. */
    private List<AutoCloseable> closing = List.of();
    private boolean clean = true;

    /** Adds a part to close on {@link #stop()}; when stopping has begun already, closes it now. */
    void add(AutoCloseable part) {
        synchronized (this) {
            if (!stopping) {
                parts.add(part);
                return;
            }
        }
        close(part);
    }

    /**
     * Closes every part, the last added first, and blocks until done. Failures are logged, never thrown.
     *
     * @return {@code true} when every part closed without an exception
     */
    boolean stop() {
        List<AutoCloseable> toClose;
        synchronized (this) {
            if (stopping) {
                toClose = null;
            } else {
                stopping = true;
                toClose = new ArrayList<>(parts);
                closing = toClose;
                parts.clear();
            }
        }
        if (toClose == null) {
            awaitStopped();
            synchronized (this) {
                return clean;
            }
        }
        boolean allClosed = true;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            allClosed &= close(toClose.get(i));
        }
        synchronized (this) {
            clean = allClosed;
        }
        stopped.countDown();
        return allClosed;
    }

    /**
     * Ends the shutdown grace period of the proxies among the parts now, whether {@link #stop()} is closing them or
     * not yet. Any thread; does not block.
     */
    void endGracePeriod() {
        List<AutoCloseable> all;
        synchronized (this) {
            all = new ArrayList<>(parts);
            all.addAll(closing);
        }
        for (AutoCloseable part : all) {
            if (part instanceof ProxyServer server) {
                server.endGracePeriod();
            }
        }
    }

    /** Blocks until {@link #stop()} has closed every part. */
    void awaitStopped() {
        boolean interrupted = false;
        while (true) {
            try {
                stopped.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean close(AutoCloseable part) {
        try {
            part.close();
            return true;
        } catch (Exception e) {
            LOG.error("stopping {} failed", part, e);
            return false;
        }
    }
}
