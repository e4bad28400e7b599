package dev.proxykit.netty;

import dev.proxykit.api.Headers;
import dev.proxykit.api.RequestInfo;
import dev.proxykit.netty.http1.RequestHead;
import java.net.InetSocketAddress;

/** The read-only {@link RequestInfo} over a received request head. One per exchange, on its event loop. */
final class InboundRequest implements RequestInfo {

    private final RequestHead head;
    private final InetSocketAddress client;
    private final String scheme;
    private final String authority;
    private String route;

    InboundRequest(RequestHead head, InetSocketAddress client, String scheme, String authority) {
        this.head = head;
        this.client = client;
        this.scheme = scheme;
        this.authority = authority;
    }

    void route(String name) {
        this.route = name;
    }

    RequestHead head() {
        return head;
    }

    @Override
    public String method() {
        return head.method();
    }

    @Override
    public String target() {
        return head.target();
    }

    @Override
    public String protocol() {
        return head.protocol();
    }

    @Override
    public Headers headers() {
        return head.headers();
    }

    /** The Host header, or the authority of an absolute-form target (which RFC 9112 3.2.2 says wins). */
    @Override
    public String authority() {
        return authority;
    }

    @Override
    public String scheme() {
        return scheme;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return client;
    }

    @Override
    public String route() {
        return route;
    }
}
