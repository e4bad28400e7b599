package dev.proxykit.netty;

import dev.proxykit.api.Upstream;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

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

    /**
     * A TLS handler for a new connection to this https upstream (requires {@link #ssl}): host name verification
     * against the upstream's host, and SNI for a name.
     */
    SslHandler newSslHandler(ByteBufAllocator alloc, int handshakeTimeoutMillis) {
        SslHandler handler = ssl.newHandler(alloc, upstream.host(), upstream.port());
        handler.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
        if (!ipLiteral) {
            // set explicitly: the JDK leaves SNI out for names without a dot, like localhost;
            // never for an IP literal (RFC 6066 section 3)
            SSLParameters params = handler.engine().getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(upstream.host())));
            handler.engine().setSSLParameters(params);
        }
        return handler;
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
