package dev.proxykit.netty.http1;

/**
 * A parsed request line and header block, as received. The body follows as {@code ByteBuf} messages and ends with a
 * {@link LastChunk}. Immutable fields but for {@link #target}, which the engine may normalise (absolute-form).
 */
public final class RequestHead {

    final String method;
    String target;
    final boolean http11;
    final HeaderBlock headers;
    final BodyKind bodyKind;
    final long contentLength;
    final boolean keepAlive;
    final boolean expectContinue;
    /** Length of the head in bytes, request line and final CRLF included. */
    final int headLength;
    /** The authority of an absolute-form target, checked as a Host value; {@code null} for the other forms. */
    final String absoluteAuthority;

    RequestHead(String method, String target, boolean http11, HeaderBlock headers, BodyKind bodyKind,
                long contentLength, boolean keepAlive, boolean expectContinue, int headLength,
                String absoluteAuthority) {
        this.method = method;
        this.target = target;
        this.absoluteAuthority = absoluteAuthority;
        this.http11 = http11;
        this.headers = headers;
        this.bodyKind = bodyKind;
        this.contentLength = contentLength;
        this.keepAlive = keepAlive;
        this.expectContinue = expectContinue;
        this.headLength = headLength;
    }

    public String method() {
        return method;
    }

    /** The request target as received, one char per octet. */
    public String target() {
        return target;
    }

    public void target(String newTarget) {
        this.target = newTarget;
    }

    /**
     * The authority of an absolute-form target ({@code http://authority/path}), which RFC 9112 3.2.2 says replaces
     * Host; the parser checked it as it checks a Host value. {@code null} for origin-, asterisk- and authority-form.
     */
    public String absoluteAuthority() {
        return absoluteAuthority;
    }

    public boolean isHttp11() {
        return http11;
    }

    public String protocol() {
        return http11 ? "HTTP/1.1" : "HTTP/1.0";
    }

    public HeaderBlock headers() {
        return headers;
    }

    public BodyKind bodyKind() {
        return bodyKind;
    }

    /** The declared length for {@link BodyKind#LENGTH}, else -1. */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the client wants the connection kept open after this exchange. */
    public boolean isKeepAlive() {
        return keepAlive;
    }

    public boolean expectsContinue() {
        return expectContinue;
    }

    public int headLength() {
        return headLength;
    }

    @Override
    public String toString() {
        return method + ' ' + target + ' ' + protocol() + ' ' + headers;
    }
}
