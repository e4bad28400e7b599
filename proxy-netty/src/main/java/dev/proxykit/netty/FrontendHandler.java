package dev.proxykit.netty;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Phase;
import dev.proxykit.netty.http1.DecodeFailure;
import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: starts an {@link Exchange} per request, one at a time (the decoder
 * pauses after each request until its response is done), feeds it the request body, and owns the connection's
 * reading switch and timer. Lives on the connection's event loop; plain fields.
 *
 * <p>Reading is on unless something blocks it: the exchange is still connecting upstream, the upstream connection
 * is not writable (backpressure), or too many pipelined bytes wait behind the current request.
 *
 * <p>The connection's single timer enforces, by state: {@code client-header} while a request head is being
 * received (408, then close), {@code idle} between requests (silent close, as a keep-alive timeout), and the
 * route's {@code idle} and {@code response-header} during an exchange.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit.connection");

    static final int BLOCK_CONNECTING = 1;
    static final int BLOCK_UPSTREAM_FULL = 2;
    static final int BLOCK_PIPELINE_FULL = 4;
    /** The client is not taking its responses: the next pipelined request waits (see {@link #exchangeDone}). */
    static final int BLOCK_CLIENT_FULL = 8;

    /** Pipelined bytes held behind the current request before reading stops. */
    private static final int PIPELINE_BUFFER_LIMIT = 64 * 1024;
    private static final String HEX = "0123456789ABCDEF";
    /** Lingering close: how long the client may go on sending in all, and without a byte (nginx's defaults). */
    static final long LINGER_TIME_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long LINGER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Engine engine;
    private final String scheme;
    private ChannelHandlerContext ctx;
    private Channel channel;
    private Http1Decoder decoder;
    private CodecLink out;
    private String id;
    private InetSocketAddress remote;
    /** While the connection lingers (see {@link #closeAfterFlush(boolean)}): when it closes at the latest; else 0. */
    private long lingerEndNanos;
    /** Whether a lingering close was asked for (its flush may still be under way). */
    private boolean lingerQueued;
    private String clientIp;

    private Exchange exchange;
    private String absoluteAuthority;
    private int blockers;
    private boolean closing;
    private boolean tunneling;
    /**
     * Set by every message the decoder hands on, cleared by the flush that must follow it: the one at the end of the
     * socket's read batch ({@link #channelReadComplete}), or the one after requests the decoder held back are handed
     * on ({@link #exchangeDone}). While it is set, writes upstream may leave the flush to that point.
     */
    private boolean readBatch;

    private LoopClock clock;
    private long activityNanos;
    private long headStartNanos;
    private ScheduledFuture<?> timer;
    private long timerDeadline;

    FrontendHandler(Engine engine, String scheme) {
        this.engine = engine;
        this.scheme = scheme;
    }

    String id() {
        return id;
    }

    Channel channel() {
        return channel;
    }

    /**
     * Where the exchange writes to the client on its hot path: straight to the encoder ({@link CodecLink}). Same
     * effect as writing to the channel, as nothing after this handler handles writes.
     */
    CodecLink out() {
        return out;
    }

    /** The clock of the connection's event loop. */
    LoopClock clock() {
        return clock;
    }

    /** The client's IP address as text, made once per connection (for X-Forwarded-For). */
    String clientIp() {
        String ip = clientIp;
        if (ip == null) {
            ip = remote.getAddress().getHostAddress();
            clientIp = ip;
        }
        return ip;
    }

    /** {@code text} with control and non-ASCII characters as {@code \\xHH}, as the access log writes them; null stays. */
    static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                b.append("\\x").append(HEX.charAt(c >> 4 & 0xf)).append(HEX.charAt(c & 0xf));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The client's address and port for a log line: {@code 127.0.0.1:48256}, {@code [::1]:48256}. */
    private String peer() {
        String ip = clientIp();
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + remote.getPort();
    }

    /** The authority of an absolute-form request target, or {@code null} for origin-form. */
    String absoluteAuthority() {
        return absoluteAuthority;
    }

    /** Whether a flush of the upstream follows anyway, at the end of the client's current read batch. */
    boolean inReadBatch() {
        return readBatch;
    }

    /** Whether the connection closes after the current exchange. */
    boolean closing() {
        return closing;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        this.decoder = ctx.pipeline().get(Http1Decoder.class);
        this.out = CodecLink.link(ctx, this, decoder);
        this.clock = LoopClock.current(); // the pipeline is built on the channel's event loop
        this.id = "c" + engine.connectionIds.incrementAndGet();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        remote = (InetSocketAddress) channel.remoteAddress();
        activityNanos = clock.nanoTime();
        headStartNanos = activityNanos; // client-header timeout counts from the connection, like nginx
        engine.clients.add(channel);
        if (engine.draining) {
            channel.close();
            return;
        }
        armTimer(activityNanos + engine.clientHeaderTimeoutNanos);
        ctx.fireChannelActive();
    }

    // -------------------------------------------------------------------------------------------- messages

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readBatch = true;
        Exchange ex = exchange;
        if (msg instanceof ByteBuf) {
            if (ex != null) {
                ex.onRequestContent((ByteBuf) msg);
            } else {
                ((ByteBuf) msg).release();
            }
        } else if (msg instanceof LastChunk) {
            if (ex != null) {
                ex.onRequestEnd((LastChunk) msg);
            }
        } else if (msg instanceof RequestHead) {
            onRequestHead((RequestHead) msg);
        } else if (msg instanceof DecodeFailure) {
            onDecodeFailure((DecodeFailure) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(RequestHead head) {
        headStartNanos = 0;
        String received = head.target();
        InetSocketAddress client = remote;
        String authority = head.headers().get("Host");
        absoluteAuthority = head.absoluteAuthority();
        if (absoluteAuthority != null) {
            // RFC 9112 3.2.2: the target's authority wins over Host; the upstream gets origin-form
            String rest = received.substring(received.indexOf("://") + 3 + absoluteAuthority.length());
            head.target(rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest);
            authority = absoluteAuthority;
        }
        Exchange ex = new Exchange(engine, this, head, new InboundRequest(head, client, scheme, authority), received);
        exchange = ex;
        ex.start();
        if (exchange == ex && !ex.isEnded()) {
            armTimer(clock.nanoTime() + ex.idleTimeoutNanos());
        }
    }

    private void onDecodeFailure(DecodeFailure failure) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onClientProtocolError(failure);
            return;
        }
        // a head that could not be read, or was refused: answer and close; nothing reached an upstream
        RequestHead head = failure.head();
        String line = head != null ? head.method() + " " + head.target() + " " + head.protocol()
                : printable(failure.requestLine()); // a line that failed to parse may hold anything: no terminal codes
        LOG.info("{} {}{}: {} {}", id, peer(), line == null ? "" : " \"" + line + "\"", failure.status(),
                failure.message());
        int bodyBytes = ErrorResponses.write(channel, failure.status(), false, false, clock.httpDate());
        if (Exchange.isEnabled(engine.defaultAccessLogger, id)) {
            logDecodeFailure(failure, bodyBytes);
        }
        closeAfterFlush(failure.status() != 408); // a client that sent its head in part may send the rest now
    }

    private void logDecodeFailure(DecodeFailure failure, int bodyBytes) {
        AccessRecord.Builder b = AccessRecord.builder()
                .connectionId(id)
                .startEpochMillis(clock.epochMillis())
                .clientAddress(remote)
                .status(failure.status())
                .responseBodyBytes(bodyBytes)
                .failure(Phase.CLIENT_READ, reasonFor(failure.status()));
        RequestHead head = failure.head();
        if (head != null) {
            b.method(head.method()).target(head.target()).protocol(head.protocol()).host(head.headers().get("Host"))
                    .referer(head.headers().get("Referer")).userAgent(head.headers().get("User-Agent"));
        } else if (failure.requestLine() != null) {
            // as much of the request line as there is, as nginx logs it: "GET /x HTTP/1.1", or the bytes received
            String[] parts = failure.requestLine().split(" ", 3);
            b.method(parts[0]);
            if (parts.length == 3) {
                b.target(parts[1]).protocol(parts[2]);
            } else if (parts.length == 2) {
                b.target(parts[1]);
            }
        }
        AccessRecord record = b.build();
        try {
            engine.defaultAccessLogger.log(record);
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            LOG.warn("{} access logger threw; record lost: {}", id, record, e);
        }
    }

    static String reasonFor(int status) {
        switch (status) {
            case 408:
                return "client_header_timeout";
            case 413:
                return "request_body_too_large";
            case 414:
                return "request_line_too_long";
            case 431:
                return "request_header_too_large";
            case 501:
                return "not_implemented";
            case 505:
                return "http_version_not_supported";
            default:
                return "bad_request";
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        activityNanos = clock.nanoTime();
        readBatch = false;
        Exchange ex = exchange;
        if (ex != null) {
            ex.flushUpstream();
            if (ex.isRequestComplete() && decoder.bufferedBytes() > PIPELINE_BUFFER_LIMIT) {
                // pipelined requests wait in the decoder; stop reading before they pile up
                block(BLOCK_PIPELINE_FULL, true);
            }
        } else if (headStartNanos == 0 && decoder.isReadingHead()) {
            headStartNanos = activityNanos;
            armTimer(activityNanos + engine.clientHeaderTimeoutNanos);
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange ex = exchange;
        if (ex != null) {
            ex.onClientWritabilityChanged(channel.isWritable());
        } else if ((blockers & BLOCK_CLIENT_FULL) != 0 && channel.isWritable() && !closing) {
            block(BLOCK_CLIENT_FULL, false);
            resumeDecoding();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.onClientGone(null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Exchange ex = exchange;
        exchange = null;
        if (ex != null) {
            ex.onClientGone(cause);
        } else if (!(cause instanceof IOException)) {
            LOG.warn("{} {}: unexpected error on an idle connection", id, peer(), cause);
        }
        ctx.close();
    }

    // ------------------------------------------------------------------------------------ exchange control

    /** Turns one reason to stop reading on or off; reading runs when no reason is left. */
    void block(int reason, boolean on) {
        int before = blockers;
        blockers = on ? blockers | reason : blockers & ~reason;
        if ((before == 0) != (blockers == 0)) {
            channel.config().setAutoRead(blockers == 0);
        }
    }

    /**
     * The current exchange is over (its response sent and its request read). Keeps the connection for the next
     * request, or closes it.
     */
    void exchangeDone(Exchange ex, boolean keepAlive) {
        if (exchange != ex) {
            return;
        }
        exchange = null;
        if (!keepAlive || closing || engine.draining || !channel.isActive()) {
            closeAfterFlush(!ex.isRequestComplete());
            return;
        }
        block(BLOCK_CONNECTING | BLOCK_UPSTREAM_FULL | BLOCK_PIPELINE_FULL, false);
        activityNanos = clock.nanoTime();
        armTimer(activityNanos + engine.idleTimeoutNanos);
        if (!channel.isWritable()) {
            // the client has not taken the responses so far (past the high-water mark): its next pipelined request
            // waits until it has, else a client that pipelines and never reads has every answer held in memory
            block(BLOCK_CLIENT_FULL, true);
            return;
        }
        resumeDecoding();
    }

    /** Hands on the next request the decoder holds, if any, and pushes out what it wrote upstream. */
    private void resumeDecoding() {
        decoder.resume();
        if (readBatch) {
            // pipelined requests handed on just now, outside a socket read: nothing else flushes what they wrote
            readBatch = false;
            Exchange next = exchange;
            if (next != null) {
                next.flushUpstream();
            }
        }
    }

    /** Closes once what was written has been flushed. */
    void closeAfterFlush() {
        closeAfterFlush(false);
    }

    /**
     * Closes once what was written has been flushed; with {@code linger}, for a client that may still be sending
     * (a request refused before its body or its head was read whole), as nginx's lingering close: the proxy sends
     * FIN, then reads and drops what still arrives until the client closes, 5 s pass without a byte or 30 s in all.
     * Closed with unread bytes in its receive buffer, the socket would send a reset, which can destroy the answer
     * before the client has read it.
     */
    void closeAfterFlush(boolean linger) {
        closing = true;
        if (lingerQueued) {
            // a lingering close is under way (its output may be shut already: another write would fail and reset the
            // connection); it closes the connection itself
            return;
        }
        lingerQueued = linger;
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(linger ? f -> {
                if (f.isSuccess()) {
                    linger();
                } else {
                    channel.close();
                }
            } : ChannelFutureListener.CLOSE);
        }
    }

    private void linger() {
        if (!channel.isActive() || lingerEndNanos != 0) {
            return;
        }
        if (engine.draining) {
            channel.close(); // stopping: nothing will be served here, and the stop waits for no client
            return;
        }
        if (!(channel instanceof DuplexChannel duplex) || duplex.isInputShutdown()) {
            channel.close();
            return;
        }
        long now = clock.nanoTime();
        lingerEndNanos = now + LINGER_TIME_NANOS;
        activityNanos = now;
        channel.pipeline().addFirst("linger", new Dropper());
        channel.config().setAutoRead(true);
        duplex.shutdownOutput();
        armTimer(Math.min(lingerEndNanos, now + LINGER_TIMEOUT_NANOS));
    }

    /** First in the pipeline while the connection lingers: drops what arrives, noting that something did. */
    private final class Dropper extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            activityNanos = clock.nanoTime();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // nothing to pass on: the decoder and this handler are done with the connection
        }
    }

    /** Closes now, dropping anything unflushed. */
    void closeNow() {
        closing = true;
        channel.close();
    }

    /**
     * Starts graceful shutdown for this connection: closes it now if it is idle between requests (as nginx closes
     * keep-alive connections), else after the current exchange. A request whose head is still arriving, or the first
     * one of a connection just accepted, is still served (the client-header timeout bounds the wait, as always).
     */
    void drain() {
        closing = true;
        if (lingerEndNanos != 0 || exchange == null && !tunneling && headStartNanos == 0) {
            channel.close(); // a lingering connection too: its answer went out, nothing more will be served on it
        }
    }

    /**
     * Ends this connection when the shutdown grace period has run out: an exchange still waiting for its response
     * gets a 503 and the connection closes once it is written; any other exchange, or none, closes it now.
     */
    void cutOff() {
        closing = true;
        Exchange ex = exchange;
        if (ex != null && !ex.isEnded()) {
            ex.cutOff();
        } else {
            channel.close();
        }
    }

    /**
     * The connection becomes a tunnel after 101: this handler, the codec and the timer leave the pipeline. Returns
     * the bytes the client sent after its request, if any (the caller owns them).
     */
    ByteBuf detachForTunnel() {
        tunneling = true;
        exchange = null;
        cancelTimer();
        block(BLOCK_CONNECTING | BLOCK_UPSTREAM_FULL | BLOCK_PIPELINE_FULL | BLOCK_CLIENT_FULL, false);
        ByteBuf rest = decoder.detachRemaining();
        ctx.pipeline().remove(decoder);
        ctx.pipeline().remove("encoder");
        ctx.pipeline().remove(this);
        return rest;
    }

    // ------------------------------------------------------------------------------------------------ timer

    /** Makes the connection's timer fire by {@code deadline} (nanoTime) at the latest; it then re-evaluates. */
    void armTimer(long deadline) {
        if (timer != null) {
            if (timerDeadline - deadline <= 0) {
                return; // fires earlier anyway and re-evaluates
            }
            timer.cancel(false);
        }
        timerDeadline = deadline;
        long delay = Math.max(0, deadline - clock.nanoTime());
        timer = channel.eventLoop().schedule(this::onTimer, delay, TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void onTimer() {
        timer = null;
        if (!channel.isActive() || tunneling) {
            return;
        }
        long now = clock.nanoTime();
        if (lingerEndNanos != 0) {
            long deadline = Math.min(lingerEndNanos, activityNanos + LINGER_TIMEOUT_NANOS);
            if (now - deadline >= 0) {
                channel.close();
            } else {
                armTimer(deadline);
            }
            return;
        }
        Exchange ex = exchange;
        long next;
        if (ex != null) {
            next = ex.checkIdle(now, activityNanos);
        } else if (headStartNanos != 0) {
            long deadline = headStartNanos + engine.clientHeaderTimeoutNanos;
            if (now - deadline >= 0) {
                onClientHeaderTimeout();
                return;
            }
            next = deadline;
        } else {
            long deadline = activityNanos + engine.idleTimeoutNanos;
            if (now - deadline >= 0) {
                channel.close(); // keep-alive timeout: silent, like nginx
                return;
            }
            next = deadline;
        }
        if (next != Long.MAX_VALUE && channel.isActive()) {
            armTimer(next);
        }
    }

    private void onClientHeaderTimeout() {
        if (!decoder.isReadingHead()) {
            channel.close(); // connected and sent nothing: close quietly
            return;
        }
        DecodeFailure timeout = new DecodeFailure(408, "client-header timeout", false);
        onDecodeFailure(timeout);
    }
}
