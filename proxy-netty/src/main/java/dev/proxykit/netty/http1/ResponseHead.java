package dev.proxykit.netty.http1;

/**
 * A response status line and header block. Received from an upstream (then followed by body {@code ByteBuf}s and a
 * {@link LastChunk} unless it is informational), or built by the engine to send to a client.
 */
public final class ResponseHead {

    final int status;
    final String reason;
    final boolean http11;
    final HeaderBlock headers;
    BodyKind bodyKind;
    long contentLength;
    final boolean keepAlive;
    final int headLength;
    /** The transfer codings other than the final chunked, as received; {@code null} for none (or none sayable). */
    final String codingsBesideChunked;

    ResponseHead(int status, String reason, boolean http11, HeaderBlock headers, BodyKind bodyKind,
                 long contentLength, boolean keepAlive, int headLength, String codingsBesideChunked) {
        this.status = status;
        this.reason = reason;
        this.http11 = http11;
        this.headers = headers;
        this.bodyKind = bodyKind;
        this.contentLength = contentLength;
        this.keepAlive = keepAlive;
        this.headLength = headLength;
        this.codingsBesideChunked = codingsBesideChunked;
    }

    /**
     * A response to send: the encoder writes {@code HTTP/1.1 status reason}, the headers, and frames the body as
     * {@code bodyKind} says (adding {@code Transfer-Encoding: chunked} for CHUNKED; the caller sets Content-Length).
     */
    public static ResponseHead of(int status, String reason, HeaderBlock headers, BodyKind bodyKind, long length) {
        return new ResponseHead(status, reason, true, headers, bodyKind, length, true, 0, null);
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }

    public boolean isHttp11() {
        return http11;
    }

    public HeaderBlock headers() {
        return headers;
    }

    public BodyKind bodyKind() {
        return bodyKind;
    }

    /** Changes how the body is framed on the way out. */
    public void bodyKind(BodyKind kind, long length) {
        this.bodyKind = kind;
        this.contentLength = length;
    }

    public long contentLength() {
        return contentLength;
    }

    /** Whether the upstream allows reusing the connection after this response. */
    public boolean isKeepAlive() {
        return keepAlive;
    }

    /**
     * The transfer codings of the received body other than its final {@code chunked} (such as {@code gzip}), in
     * order, or {@code null}: the proxy re-frames a body but does not decode it. Also {@code null} for a
     * {@code chunked} that is not the last coding, which could not be announced again without chunking twice.
     */
    public String codingsBesideChunked() {
        return codingsBesideChunked;
    }

    public boolean isInformational() {
        return status >= 100 && status < 200;
    }

    public int headLength() {
        return headLength;
    }

    @Override
    public String toString() {
        return status + " " + reason + ' ' + headers;
    }
}
