package dev.proxykit.netty.http1;

/**
 * A message that is not valid HTTP/1.1, or over a limit, with the status a client should get for it
 * (400, 413, 414, 431, 501, 505). Thrown by the parser; the decoder turns it into a {@link DecodeFailure}.
 */
public final class HttpParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    public HttpParseException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
