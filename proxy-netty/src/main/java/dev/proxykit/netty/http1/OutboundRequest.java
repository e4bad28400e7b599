package dev.proxykit.netty.http1;

import java.util.Objects;

/**
 * A request head to send upstream: always written as HTTP/1.1, its body framed as {@link #bodyKind()} says. The
 * headers must already hold what the framing needs (Content-Length for LENGTH); the encoder adds
 * {@code Transfer-Encoding: chunked} for CHUNKED. Mutable until written; owned by one exchange.
 */
public final class OutboundRequest {

    private String method;
    private String target;
    private final HeaderBlock headers;
    private final BodyKind bodyKind;

    public OutboundRequest(String method, String target, HeaderBlock headers, BodyKind bodyKind) {
        this.method = Objects.requireNonNull(method, "method");
        this.target = Objects.requireNonNull(target, "target");
        this.headers = Objects.requireNonNull(headers, "headers");
        this.bodyKind = Objects.requireNonNull(bodyKind, "bodyKind");
    }

    public String method() {
        return method;
    }

    public void method(String m) {
        this.method = Objects.requireNonNull(m, "method");
    }

    public String target() {
        return target;
    }

    public void target(String t) {
        this.target = Objects.requireNonNull(t, "target");
    }

    public HeaderBlock headers() {
        return headers;
    }

    public BodyKind bodyKind() {
        return bodyKind;
    }

    public boolean isHead() {
        return method.equals("HEAD");
    }
}
