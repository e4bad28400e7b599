package dev.proxykit.netty.http1;

/**
 * Emitted by a decoder instead of (or in the middle of) a message it could not decode. After it the decoder
 * discards everything; the connection must be closed once the failure is handled.
 *
 * @param status       the status a client gets for it (400, 413, 414, 431, 501, 505), or 502 for a bad response
 * @param message      what was wrong, for the log
 * @param afterHead    whether a head was already emitted for the message (the failure is in its body)
 */
public record DecodeFailure(int status, String message, boolean afterHead) {
}
