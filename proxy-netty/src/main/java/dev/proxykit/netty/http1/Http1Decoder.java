package dev.proxykit.netty.http1;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes HTTP/1.x messages from bytes: a {@link RequestHead} or {@link ResponseHead}, then the body as retained
 * slices of the received buffers (never copied), then a {@link LastChunk}. A message that cannot be decoded yields
 * one {@link DecodeFailure}, after which every byte is discarded.
 *
 * <p><b>Requests</b> ({@link #forRequests}): after a complete request the decoder pauses, keeping any pipelined bytes,
 * until {@link #resume()} is called when its response is done, so exchanges on a connection never overlap.
 *
 * <p><b>Responses</b> ({@link #forResponses}): {@link #expectResponse(boolean)} must be called before each request is
 * sent, so that a response to HEAD is read without a body. 1xx responses are emitted as heads without body; after a
 * {@code 101} the decoder stops, and {@link #detachRemaining()} hands over the bytes that follow it.
 *
 * <p>One instance per channel, used on its event loop only. Buffer ownership: a body slice belongs to whoever receives
 * it; everything else is released here.
 */
public final class Http1Decoder extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Decoder.class);

    /** The longest chunk-size line accepted, extensions included. */
    static final int MAX_CHUNK_LINE = 4096;

    private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, UPGRADED, FAILED }

    private final boolean requests;
    private final int maxRequestLine;
    private final int maxHead;
    private final long maxBody;

    private ChannelHandlerContext ctx;
    /** The handler right after this decoder and its context, when it takes messages straight from it; else null. */
    private ChannelInboundHandler next;
    private ChannelHandlerContext nextCtx;
    private ByteBuf cumulation;
    private State state = State.HEAD;
    /** Bytes of the current head (from the reader index) already scanned for its end. */
    private int scanned;
    /** Offset of the start of the line being scanned, relative to the reader index. */
    private int lineStart;
    private long remaining;
    private long bodyBytes;
    private boolean paused;
    private boolean decoding;
    private boolean awaitingResponse;
    private boolean headRequest;

    private Http1Decoder(boolean requests, int maxRequestLine, int maxHead, long maxBody) {
        this.requests = requests;
        this.maxRequestLine = maxRequestLine;
        this.maxHead = maxHead;
        this.maxBody = maxBody;
    }

    /**
     * A server-side decoder.
     *
     * @param maxRequestLine longest request line (414 beyond)
     * @param maxHead        largest head, request line included (431 beyond)
     * @param maxBody        largest body, 0 for no limit (413 beyond)
     */
    public static Http1Decoder forRequests(int maxRequestLine, int maxHead, long maxBody) {
        return new Http1Decoder(true, maxRequestLine, maxHead, maxBody);
    }

    /** A client-side decoder for upstream responses; a head larger than {@code maxHead} is an invalid response. */
    public static Http1Decoder forResponses(int maxHead) {
        return new Http1Decoder(false, maxHead, maxHead, 0);
    }

    // ------------------------------------------------------------------------------------------- control

    /** Resumes decoding after a complete request (server side). Safe to call at any time on the event loop. */
    public void resume() {
        if (!paused) {
            return;
        }
        paused = false;
        if (!decoding && ctx != null && cumulation != null) {
            decode();
        }
    }

    /** Bytes received but not yet decoded (pipelined requests waiting behind a paused one, a partial head). */
    public int bufferedBytes() {
        return cumulation == null ? 0 : cumulation.readableBytes();
    }

    /** Whether the decoder waits for {@link #resume()}. */
    public boolean isPaused() {
        return paused;
    }

    /** Announces the next response (client side): whether it answers a HEAD request. */
    public void expectResponse(boolean toHeadRequest) {
        this.awaitingResponse = true;
        this.headRequest = toHeadRequest;
    }

    /** Whether part of a message has been received but not all of it. */
    public boolean isMidMessage() {
        return state != State.HEAD || scanned > 0 || (cumulation != null && cumulation.isReadable() && !paused);
    }

    /** Whether the bytes of a new head have started to arrive (for the client-header timeout). */
    public boolean isReadingHead() {
        return state == State.HEAD && !paused && cumulation != null && cumulation.isReadable();
    }

    /**
     * After a {@code 101} (or to tunnel a request's connection): stops decoding for good and returns the bytes received
     * after the last message, or {@code null} when there are none. The caller owns the returned buffer.
     */
    public ByteBuf detachRemaining() {
        state = State.UPGRADED;
        ByteBuf rest = cumulation;
        cumulation = null;
        if (rest != null && !rest.isReadable()) {
            rest.release();
            return null;
        }
        return rest;
    }

    /**
     * Hands every message from now on straight to {@code handler}, the handler right after this decoder in the
     * pipeline, instead of through {@code fireChannelRead}: the same call the pipeline would make, without its context
     * lookup, leak-detector touch and megamorphic dispatch per message. A throw from the handler goes to its {@code
     * exceptionCaught}, as the pipeline would send it. Once {@code handlerCtx} is removed, messages take the pipeline
     * again. Call on the event loop, only for the handler right after this one: the caller checks that.
     */
    public void deliverTo(ChannelHandlerContext handlerCtx, ChannelInboundHandler handler) {
        this.nextCtx = requireNonNull(handlerCtx, "handlerCtx");
        this.next = requireNonNull(handler, "handler");
    }

    /** Whether messages go straight to the handler named in {@link #deliverTo} (it is still in the pipeline). */
    public boolean deliversDirectly() {
        return direct() != null;
    }

    /** The handler that takes messages straight from this decoder, or null when they take the pipeline. */
    private ChannelInboundHandler direct() {
        ChannelInboundHandler h = next;
        return h != null && !nextCtx.isRemoved() ? h : null;
    }

    private void emit(Object msg) {
        ChannelInboundHandler h = direct();
        if (h == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            h.channelRead(nextCtx, msg);
        } catch (Throwable t) {
            caught(h, t);
        }
    }

    private void caught(ChannelInboundHandler h, Throwable t) {
        try {
            h.exceptionCaught(nextCtx, t);
        } catch (Throwable t2) {
            // as the pipeline does: log it, with the exception it was handling
            LOG.warn("{} {}.exceptionCaught threw while handling {}", ctx.channel(), h.getClass().getSimpleName(),
                    t, t2);
        }
    }

    // ------------------------------------------------------------------------------------------ pipeline

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ChannelInboundHandler h = direct();
        if (h == null) {
            ctx.fireChannelReadComplete();
            return;
        }
        try {
            h.channelReadComplete(nextCtx);
        } catch (Throwable t) {
            caught(h, t);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseCumulation();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            emit(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        if (state == State.FAILED) {
            in.release();
            return;
        }
        if (cumulation == null) {
            cumulation = in;
        } else if (!cumulation.isReadable()) {
            cumulation.release();
            cumulation = in;
        } else {
            // only a partial head or control line is ever left over: copying it is cheap
            ByteBuf merged = ctx.alloc().buffer(cumulation.readableBytes() + in.readableBytes());
            merged.writeBytes(cumulation).writeBytes(in);
            cumulation.release();
            in.release();
            cumulation = merged;
        }
        if (state != State.UPGRADED) {
            decode();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (state == State.UNTIL_CLOSE) {
            state = State.HEAD;
            awaitingResponse = false;
            emit(LastChunk.EMPTY);
        }
        releaseCumulation();
        ctx.fireChannelInactive();
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    // ------------------------------------------------------------------------------------------ decoding

    private void decode() {
        decoding = true;
        try {
            while (cumulation != null && cumulation.isReadable() && !paused && !ctx.isRemoved()) {
                boolean progress;
                switch (state) {
                    case HEAD:
                        progress = decodeHead();
                        break;
                    case LENGTH:
                    case CHUNK_DATA:
                        progress = decodeData();
                        break;
                    case CHUNK_SIZE:
                        progress = decodeChunkSize();
                        break;
                    case CHUNK_END:
                        progress = decodeChunkEnd();
                        break;
                    case TRAILERS:
                        progress = decodeTrailers();
                        break;
                    case UNTIL_CLOSE:
                        ByteBuf all = cumulation.readRetainedSlice(cumulation.readableBytes());
                        emit(all);
                        progress = true;
                        break;
                    case FAILED:
                        cumulation.skipBytes(cumulation.readableBytes());
                        progress = false;
                        break;
                    default: // UPGRADED: the rest belongs to the tunnel
                        progress = false;
                        break;
                }
                if (!progress) {
                    break;
                }
            }
        } finally {
            decoding = false;
            if (cumulation != null && !cumulation.isReadable() && state != State.UPGRADED) {
                releaseCumulation();
            }
        }
    }

    private boolean decodeHead() {
        ByteBuf buf = cumulation;
        if (scanned == 0) {
            if (requests) {
                // RFC 9112 2.2: ignore empty lines before a request line
                while (buf.isReadable() && (buf.getByte(buf.readerIndex()) == '\r'
                        || buf.getByte(buf.readerIndex()) == '\n')) {
                    buf.skipBytes(1);
                }
                if (!buf.isReadable()) {
                    return false;
                }
            } else if (!awaitingResponse) {
                fail(502, "upstream sent bytes while no request was outstanding", false);
                return false;
            }
        }
        int r = buf.readerIndex();
        int w = buf.writerIndex();
        int headLength;
        while (true) {
            int lf = buf.indexOf(r + scanned, w, (byte) '\n');
            if (lf < 0) {
                scanned = w - r;
                if (requests && lineStart == 0 && scanned > maxRequestLine) {
                    fail(414, "request line longer than " + maxRequestLine + " bytes", false);
                    return false;
                }
                if (scanned > maxHead) {
                    failHeadTooLarge(buf, r);
                    return false;
                }
                return false;
            }
            int lineLength = lf - (r + lineStart);
            if (requests && lineStart == 0 && lineLength - 1 > maxRequestLine) {
                fail(414, "request line longer than " + maxRequestLine + " bytes", false);
                return false;
            }
            scanned = lf - r + 1;
            if (scanned > maxHead) {
                failHeadTooLarge(buf, r);
                return false;
            }
            boolean empty = lineLength == 0 || (lineLength == 1 && buf.getByte(lf - 1) == '\r');
            if (empty && lineStart > 0) {
                headLength = scanned;
                break;
            }
            if (empty) {
                fail(requests ? 400 : 502, "empty line where a start line was expected", false);
                return false;
            }
            lineStart = scanned;
        }
        byte[] bytes = new byte[headLength];
        buf.getBytes(r, bytes);
        buf.skipBytes(headLength);
        scanned = 0;
        lineStart = 0;
        try {
            if (requests) {
                onRequestHead(HeadParser.parseRequest(bytes, headLength));
            } else {
                onResponseHead(HeadParser.parseResponse(bytes, headLength, headRequest));
            }
        } catch (HttpParseException e) {
            if (requests) {
                failWith(new DecodeFailure(e.status(), e.getMessage(), false, null, firstLine(bytes)));
            } else {
                fail(e.status(), e.getMessage(), false);
            }
            return false;
        }
        return true;
    }

    /** The first line of {@code head}, without its line end, as ISO-8859-1, at most {@link DecodeFailure#MAX_LINE}. */
    static String firstLine(byte[] head) {
        int end = 0;
        while (end < head.length && end < DecodeFailure.MAX_LINE && head[end] != '\r' && head[end] != '\n') {
            end++;
        }
        return end == 0 ? null : new String(head, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** @param r where the head starts in {@code buf} */
    private void failHeadTooLarge(ByteBuf buf, int r) {
        if (requests) {
            // the request line, when it arrived whole, for the access log (nginx logs it with a 431 too)
            int lf = lineStart > 0 ? buf.indexOf(r, r + lineStart, (byte) '\n') : -1;
            String line = null;
            if (lf > r) {
                byte[] first = new byte[Math.min(lf - r, DecodeFailure.MAX_LINE)];
                buf.getBytes(r, first);
                line = firstLine(first);
            }
            failWith(new DecodeFailure(431, "request head larger than " + maxHead + " bytes", false, null, line));
        } else {
            fail(502, "response head larger than " + maxHead + " bytes", false);
        }
    }

    private void onRequestHead(RequestHead head) {
        bodyBytes = 0;
        switch (head.bodyKind) {
            case LENGTH:
                if (maxBody > 0 && head.contentLength > maxBody) {
                    failWith(new DecodeFailure(413, "request body of " + head.contentLength
                            + " bytes is over the limit of " + maxBody + " bytes", false, head, null));
                    return;
                }
                if (head.contentLength == 0) {
                    endRequest(head);
                    return;
                }
                remaining = head.contentLength;
                state = State.LENGTH;
                emit(head);
                return;
            case CHUNKED:
                state = State.CHUNK_SIZE;
                emit(head);
                return;
            default:
                endRequest(head);
        }
    }

    private void endRequest(RequestHead head) {
        state = State.HEAD;
        paused = true;
        emit(head);
        emit(LastChunk.EMPTY);
    }

    private void onResponseHead(ResponseHead head) {
        bodyBytes = 0;
        if (head.isInformational()) {
            if (head.status == 101) {
                state = State.UPGRADED;
                awaitingResponse = false;
            }
            emit(head);
            return;
        }
        switch (head.bodyKind) {
            case LENGTH:
                if (head.contentLength == 0) {
                    endResponse(head);
                    return;
                }
                remaining = head.contentLength;
                state = State.LENGTH;
                break;
            case CHUNKED:
                state = State.CHUNK_SIZE;
                break;
            case UNTIL_CLOSE:
                state = State.UNTIL_CLOSE;
                break;
            default:
                endResponse(head);
                return;
        }
        emit(head);
    }

    private void endResponse(ResponseHead head) {
        state = State.HEAD;
        awaitingResponse = false;
        emit(head);
        emit(LastChunk.EMPTY);
    }

    private boolean decodeData() {
        int n = (int) Math.min(remaining, cumulation.readableBytes());
        ByteBuf slice = cumulation.readRetainedSlice(n);
        remaining -= n;
        bodyBytes += n;
        if (remaining > 0) {
            emit(slice);
            return true;
        }
        if (state == State.CHUNK_DATA) {
            state = State.CHUNK_END;
            emit(slice);
            return true;
        }
        endMessage();
        emit(slice);
        emit(LastChunk.EMPTY);
        return true;
    }

    /** Sets the state for the end of the current message; the caller then fires its last pieces. */
    private void endMessage() {
        state = State.HEAD;
        if (requests) {
            paused = true;
        } else {
            awaitingResponse = false;
        }
    }

    private boolean decodeChunkSize() {
        ByteBuf buf = cumulation;
        int r = buf.readerIndex();
        int lf = buf.indexOf(r, Math.min(buf.writerIndex(), r + MAX_CHUNK_LINE + 2), (byte) '\n');
        if (lf < 0) {
            if (buf.readableBytes() > MAX_CHUNK_LINE) {
                failBody("chunk-size line longer than " + MAX_CHUNK_LINE + " bytes");
            }
            return false;
        }
        int end = lf;
        if (end > r && buf.getByte(end - 1) == '\r') {
            end--;
        } else if (requests) {
            failBody("bare LF after a chunk size (expected: CRLF)");
            return false;
        }
        long size = 0;
        int i = r;
        for (; i < end; i++) {
            int d = hexValue(buf.getByte(i));
            if (d < 0) {
                break;
            }
            if (i - r >= 15) {
                failBody("chunk size too large");
                return false;
            }
            size = size * 16 + d;
        }
        if (i == r) {
            failBody("invalid chunk size");
            return false;
        }
        // optional chunk extensions: BWS ";" ... (contents passed over, never forwarded)
        int j = i;
        while (j < end && (buf.getByte(j) == ' ' || buf.getByte(j) == '\t')) {
            j++;
        }
        if (j < end && buf.getByte(j) != ';') {
            failBody("invalid character after the chunk size");
            return false;
        }
        for (; j < end; j++) {
            int c = buf.getByte(j) & 0xFF;
            if (c == '\r' || c == 0 || (c < 0x20 && c != '\t') || c == 0x7F) {
                failBody("invalid character in a chunk extension");
                return false;
            }
        }
        buf.readerIndex(lf + 1);
        if (size == 0) {
            state = State.TRAILERS;
            return true;
        }
        if (requests && maxBody > 0 && bodyBytes + size > maxBody) {
            fail(413, "request body over the limit of " + maxBody + " bytes", true);
            return false;
        }
        remaining = size;
        state = State.CHUNK_DATA;
        return true;
    }

    private boolean decodeChunkEnd() {
        ByteBuf buf = cumulation;
        int r = buf.readerIndex();
        byte first = buf.getByte(r);
        if (first == '\n' && !requests) {
            buf.skipBytes(1);
            state = State.CHUNK_SIZE;
            return true;
        }
        if (first != '\r') {
            failBody("chunk data not followed by CRLF");
            return false;
        }
        if (buf.readableBytes() < 2) {
            return false;
        }
        if (buf.getByte(r + 1) != '\n') {
            failBody("chunk data not followed by CRLF");
            return false;
        }
        buf.skipBytes(2);
        state = State.CHUNK_SIZE;
        return true;
    }

    private boolean decodeTrailers() {
        ByteBuf buf = cumulation;
        int r = buf.readerIndex();
        int w = buf.writerIndex();
        while (true) {
            int lf = buf.indexOf(r + scanned, w, (byte) '\n');
            if (lf < 0) {
                scanned = w - r;
                if (scanned > maxHead) {
                    failBody("trailer section larger than " + maxHead + " bytes");
                }
                return false;
            }
            int lineLength = lf - (r + lineStart);
            scanned = lf - r + 1;
            if (scanned > maxHead) {
                failBody("trailer section larger than " + maxHead + " bytes");
                return false;
            }
            boolean empty = lineLength == 0 || (lineLength == 1 && buf.getByte(lf - 1) == '\r');
            if (empty) {
                if (requests && lineLength == 0) {
                    failBody("bare LF ending the trailer section (expected: CRLF)");
                    return false;
                }
                break;
            }
            lineStart = scanned;
        }
        int length = scanned;
        scanned = 0;
        lineStart = 0;
        LastChunk last;
        if (length <= 2) {
            buf.skipBytes(length);
            last = LastChunk.EMPTY;
        } else {
            byte[] bytes = new byte[length];
            buf.getBytes(r, bytes);
            buf.skipBytes(length);
            HeaderBlock trailers = new HeaderBlock(bytes, 4);
            try {
                if (requests) {
                    HeadParser.parseRequestFields(bytes, 0, length, trailers);
                } else {
                    HeadParser.parseLenientFields(bytes, 0, length, trailers);
                }
            } catch (HttpParseException e) {
                failBody(e.getMessage());
                return false;
            }
            TrailerFields.removeForbidden(trailers);
            last = LastChunk.withTrailers(trailers);
        }
        endMessage();
        emit(last);
        return true;
    }

    private static int hexValue(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private void failBody(String message) {
        fail(requests ? 400 : 502, message, true);
    }

    private void fail(int status, String message, boolean afterHead) {
        failWith(new DecodeFailure(status, message, afterHead));
    }

    private void failWith(DecodeFailure failure) {
        state = State.FAILED;
        awaitingResponse = false;
        if (cumulation != null) {
            cumulation.skipBytes(cumulation.readableBytes());
        }
        emit(failure);
    }
}
