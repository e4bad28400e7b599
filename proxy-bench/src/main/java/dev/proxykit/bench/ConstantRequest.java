package dev.proxykit.bench;

import dev.proxykit.api.Headers;
import dev.proxykit.api.RequestInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One fixed request, shared by every benchmark thread: most pickers ignore the request, so it must cost nothing to
 * provide. Immutable; its headers are never mutated.
 */
final class ConstantRequest implements RequestInfo {

    static final RequestInfo INSTANCE = new ConstantRequest();

    private static final Headers HEADERS = Headers.create().add("Host", "bench.example").add("Accept", "*/*");
    /** Resolved (a loopback literal, no lookup), so a policy keyed by the client address has one to hash. */
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);

    private ConstantRequest() {
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String target() {
        return "/bench";
    }

    @Override
    public String protocol() {
        return "HTTP/1.1";
    }

    @Override
    public Headers headers() {
        return HEADERS;
    }

    @Override
    public String scheme() {
        return "http";
    }

    @Override
    public InetSocketAddress clientAddress() {
        return CLIENT;
    }

    @Override
    public String route() {
        return "bench";
    }
}
