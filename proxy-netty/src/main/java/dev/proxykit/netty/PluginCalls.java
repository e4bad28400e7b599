package dev.proxykit.netty;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How plugin failures on the request path are contained. A plugin call may throw an exception or an error: a
 * {@code NoClassDefFoundError} for a class its loader cannot see (Netty, say, used only when a request comes), an
 * {@code AssertionError}, a {@code StackOverflowError}. Each fails the one exchange (or the one call) and is logged;
 * none may leave an exchange hanging or blame the client. The JVM's own failures ({@code OutOfMemoryError},
 * {@code InternalError}) propagate.
 */
final class PluginCalls {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit.exchange");

    private PluginCalls() {
    }

    /** Rethrows {@code t} when it is the JVM's failure rather than the plugin's. */
    static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
    }

    /** {@link UpstreamSelector.Picker#onComplete}, which must not stop the exchange's own bookkeeping if it throws. */
    static void complete(UpstreamSelector.Picker p, Upstream u) {
        try {
            p.onComplete(u);
        } catch (Throwable t) {
            rethrowIfFatal(t);
            LOG.warn("the selector's picker threw from onComplete({})", u, t);
        }
    }
}
