package dev.proxykit.runtime.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The whole configuration, read once from HOCON ({@code reference.conf} defaults, the user's file, then
 * {@code -Dproxykit.*} overrides) and validated by {@link ConfigLoader}. Immutable; the hot path never touches
 * {@code Config}.
 *
 * @param source              the user's file, or {@code null} when only defaults and overrides were read
 * @param listen              addresses to accept on ({@code proxykit.listen}, a string or a list), at least one
 * @param workers             event-loop threads ({@code proxykit.workers}; 0 in the file means the number of cores)
 * @param transport           {@code proxykit.transport}
 * @param tunnelSplice        whether tunnels after {@code 101} relay with {@code splice(2)} where they can
 *                            ({@code proxykit.tunnel-splice})
 * @param shutdownGracePeriod how long in-flight exchanges may run after SIGTERM ({@code proxykit.shutdown-grace-period})
 * @param pluginsDir          where plugin folders and JARs are ({@code proxykit.plugins-dir}, relative to
 *                            {@code proxykit.home}); {@code null} when plugins come from the class path only
 * @param limits              {@code proxykit.limits}
 * @param pool                {@code proxykit.upstream-keepalive}
 * @param upstreamReceiveBuffer the receive buffer ({@code SO_RCVBUF}) of each upstream connection in bytes, or 0 for
 *                            the kernel's automatic sizing ({@code proxykit.upstream-receive-buffer})
 * @param timeouts            {@code proxykit.timeouts}: the global values (client-header and idle apply to a
 *                            connection before any route is known)
 * @param errorClassifier     {@code proxykit.error-classifier}: for requests that match no route
 * @param accessLog           {@code proxykit.access-log}: for requests that match no route
 * @param trustedProxies      {@code proxykit.trusted-proxies}: for requests that match no route (a route has its own
 *                            list in its {@link RouteSettings#forwarded()}), to name the client behind them in the
 *                            access log
 * @param routes              {@code proxykit.routes}, in order, at least one
 */
public record ProxySettings(
        Path source,
        List<InetSocketAddress> listen,
        int workers,
        TransportKind transport,
        boolean tunnelSplice,
        Duration shutdownGracePeriod,
        Path pluginsDir,
        Limits limits,
        PoolSettings pool,
        int upstreamReceiveBuffer,
        Timeouts timeouts,
        PluginSpec errorClassifier,
        PluginSpec accessLog,
        List<Cidr> trustedProxies,
        List<RouteSettings> routes) {

    public ProxySettings {
        listen = List.copyOf(listen);
        routes = List.copyOf(routes);
        trustedProxies = List.copyOf(trustedProxies);
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(errorClassifier, "errorClassifier");
        Objects.requireNonNull(accessLog, "accessLog");
    }

    /** {@code proxykit.transport}. */
    public enum TransportKind {
        /** epoll when available, else NIO. io_uring is used only when asked for. */
        AUTO,
        EPOLL,
        IO_URING,
        NIO
    }
}
