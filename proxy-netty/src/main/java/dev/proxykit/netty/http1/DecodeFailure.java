package dev.proxykit.netty.http1;

/**
 * Emitted by a decoder instead of (or in the middle of) a message it could not decode. After it the decoder
 * discards everything; the connection must be closed once the failure is handled.
 *
 * @param status       the status a client gets for it (400, 413, 414, 431, 501, 505), or 502 for a bad response
 * @param message      what was wrong, for the log
 * @param afterHead    whether a head was already emitted for the message (the failure is in its body)
 * @param head         a request head that was read whole but refused (a Content-Length over the limit), else null:
 *                     the access log then has its request line, Host, Referer and User-Agent, as nginx's has
 * @param requestLine  the first line of a request head that could not be read, as received (ISO-8859-1, at most
 *                     {@link #MAX_LINE} characters), or null when there is none or {@code head} is given
 */
public record DecodeFailure(int status, String message, boolean afterHead, RequestHead head, String requestLine) {

    /** The longest request line kept for the access log. */
    public static final int MAX_LINE = 2048;

    public DecodeFailure(int status, String message, boolean afterHead) {
        this(status, message, afterHead, null, null);
    }
}
