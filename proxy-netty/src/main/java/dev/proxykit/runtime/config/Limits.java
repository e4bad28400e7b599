package dev.proxykit.runtime.config;

/**
 * {@code limits { ... }} under {@code proxykit}. Sizes in bytes, accepting HOCON sizes such as {@code 8k}.
 *
 * @param maxRequestLine        longest request line; longer gets 414 ({@code max-request-line})
 * @param maxRequestHeaderSize  largest request head (request line included); larger gets 431
 *                              ({@code max-request-header-size})
 * @param maxResponseHeaderSize largest upstream response head; larger gets 502 ({@code max-response-header-size})
 * @param maxRequestBody        largest request body, 0 for no limit; larger gets 413 ({@code max-request-body})
 */
public record Limits(int maxRequestLine, int maxRequestHeaderSize, int maxResponseHeaderSize, long maxRequestBody) {
}
