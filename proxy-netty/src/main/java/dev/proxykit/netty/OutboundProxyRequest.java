package dev.proxykit.netty;

import dev.proxykit.api.HeaderNames;
import dev.proxykit.api.Headers;
import dev.proxykit.api.ProxyRequest;
import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.netty.http1.OutboundRequest;

/** The {@link ProxyRequest} directors see: a view of the {@link OutboundRequest} that will be written upstream. */
final class OutboundProxyRequest implements ProxyRequest {

    private final RequestInfo inbound;
    private final Upstream upstream;
    private final OutboundRequest out;

    OutboundProxyRequest(RequestInfo inbound, Upstream upstream, OutboundRequest out) {
        this.inbound = inbound;
        this.upstream = upstream;
        this.out = out;
    }

    @Override
    public RequestInfo inbound() {
        return inbound;
    }

    @Override
    public Upstream upstream() {
        return upstream;
    }

    @Override
    public String method() {
        return out.method();
    }

    @Override
    public void setMethod(String method) {
        if (!HeaderNames.isToken(method)) {
            throw new IllegalArgumentException("method: \"" + method + "\" (expected: a token such as GET)");
        }
        out.method(method);
    }

    @Override
    public String target() {
        return out.target();
    }

    @Override
    public void setTarget(String target) {
        if (target == null || target.isEmpty()) {
            throw new IllegalArgumentException("target: \"" + target + "\" (expected: a non-empty request target)");
        }
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= ' ' || c == 0x7F || c > 0xFF) {
                throw new IllegalArgumentException("target: char 0x" + Integer.toHexString(c) + " at " + i
                        + " in \"" + target + "\" (expected: no space, control character or char above 0xFF)");
            }
        }
        out.target(target);
    }

    @Override
    public Headers headers() {
        return out.headers();
    }
}
