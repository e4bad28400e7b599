package dev.proxykit.netty.http1;

/**
 * The end of a message body, with its trailer fields when there were any. Holds no buffer: nothing to release.
 */
public final class LastChunk {

    /** The end of a body without trailers. */
    public static final LastChunk EMPTY = new LastChunk(null);

    private final HeaderBlock trailers;

    private LastChunk(HeaderBlock trailers) {
        this.trailers = trailers;
    }

    public static LastChunk withTrailers(HeaderBlock trailers) {
        return trailers == null || trailers.size() == 0 ? EMPTY : new LastChunk(trailers);
    }

    /** The trailer fields, or {@code null}. */
    public HeaderBlock trailers() {
        return trailers;
    }

    @Override
    public String toString() {
        return trailers == null ? "LastChunk" : "LastChunk" + trailers;
    }
}
