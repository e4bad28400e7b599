package dev.proxykit.netty;

import dev.proxykit.api.Upstream;
import io.netty.handler.ssl.SslContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * An upstream of one route, ready to connect to: its socket address (resolved at start for an IP literal, resolved
 * asynchronously by the DNS resolver at connect time for a name) and its TLS context for {@code https}. Pooled
 * connections are keyed by identity of this object. Immutable.
 */
final class UpstreamTarget {

    final Upstream upstream;
    final InetSocketAddress address;
    /** Whether the host is an IP address (then no SNI is sent). */
    final boolean ipLiteral;
    /** {@code null} for plain http. */
    final SslContext ssl;

    UpstreamTarget(Upstream upstream, SslContext ssl) {
        this.upstream = upstream;
        this.ssl = ssl;
        this.ipLiteral = isIpLiteral(upstream.host());
        this.address = socketAddress(upstream.host(), upstream.port());
    }

    /** An IP literal becomes a resolved address without any lookup; a name stays unresolved (never blocks). */
    static InetSocketAddress socketAddress(String host, int port) {
        if (isIpLiteral(host)) {
            try {
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("host: " + host + " (expected: a valid IP literal)", e);
            }
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    @Override
    public String toString() {
        return upstream.toString();
    }
}
