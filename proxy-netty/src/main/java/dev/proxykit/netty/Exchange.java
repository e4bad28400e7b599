package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.Classification;
import dev.proxykit.api.Director;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.FailureKind;
import dev.proxykit.api.HeaderNames;
import dev.proxykit.api.Phase;
import dev.proxykit.api.ProxyError;
import dev.proxykit.api.Upstream;
import dev.proxykit.netty.http1.BodyKind;
import dev.proxykit.netty.http1.DecodeFailure;
import dev.proxykit.netty.http1.HeaderBlock;
import dev.proxykit.netty.http1.LastChunk;
import dev.proxykit.netty.http1.OutboundRequest;
import dev.proxykit.netty.http1.RequestHead;
import dev.proxykit.netty.http1.ResponseHead;
import dev.proxykit.runtime.config.ForwardedSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response, from the request head to the last byte (or the failure): the state that links a
 * client connection to the upstream connection serving it. Everything happens on the client connection's event
 * loop, which the upstream connection shares; plain fields, no locks.
 *
 * <p>Every exchange ends exactly once, in {@link #end()}: successful or not, it yields one access record, and every
 * failure goes through the route's {@link ErrorClassifier} once and is logged once.
 *
 * <p>Buffers: request content is written upstream (or kept in {@link #pending} until connected, or released when
 * discarded); response content is written to the client or released. Nothing is copied.
 */
final class Exchange {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit.exchange");

    /** The most request body the proxy reads and discards after answering early, before closing instead. */
    private static final long DISCARD_LIMIT = 1 << 20;
    /**
     * How long the upstream has to answer an {@code Expect: 100-continue} request head before the proxy sends the
     * client {@code 100 Continue} itself: Go's transport waits 1 s (ExpectContinueTimeout) before sending the body
     * anyway, curl as long; a client that waits strictly is not held until a timeout by an upstream that ignores
     * the expectation.
     */
    static final long CONTINUE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Engine engine;
    private final FrontendHandler fe;
    private final Channel client;
    private final RequestHead head;
    private final InboundRequest inbound;
    private final String receivedTarget;
    private final LoopClock clock;
    private final long startNanos;
    private final long startMillis;
    private final boolean bodyless;

    private Route route;
    private UpstreamTarget target;
    private OutboundRequest outbound;
    private BackendHandler be;
    private Channel upstream;
    private ArrayDeque<Object> pending;
    private ScheduledFuture<?> flushTimer;
    /** Whether client flushes are batched by the route's flush interval (known-length, non-SSE responses only). */
    private boolean batchFlushes;
    private String upgradeProtocol;

    private boolean requestComplete;
    private boolean requestSent;
    private boolean responseHeadReceived;
    private boolean responseStarted;
    private boolean responseDone;
    private boolean ended;
    private boolean discarding;
    private boolean clientKeepAlive;
    private boolean reusedConnection;
    /** True while a body piece is written to the client (upstream): its writability change is handled after it. */
    private boolean writingClient;
    private boolean writingUpstream;
    private boolean retried;
    private boolean upstreamKeepAlive;
    private boolean forceClose;
    private int attempts;

    private long requestBytes;
    private long discardedBytes;
    private long responseBytes;
    private long acquireNanos = -1;
    private long connectedNanos = -1;
    private long requestSentNanos = -1;
    private long responseHeadNanos = -1;
    private long upstreamEndNanos = -1;
    private long upstreamActivityNanos;

    private int status;
    private String failureReason;
    private Phase failurePhase;
    private FailureKind failureKind;

    /** The upstream attempts and their retries (issue 5); null until a route matched. */
    private Tries tries;
    /** Whether a 1xx went to the client: then the exchange can no longer move to another upstream. */
    private boolean informationalSent;
    /** When the proxy sends {@code 100 Continue} itself if nothing came first (nanoTime), or Long.MAX_VALUE. */
    private long continueDeadline = Long.MAX_VALUE;
    private boolean continueSent;

    Exchange(Engine engine, FrontendHandler fe, RequestHead head, InboundRequest inbound, String receivedTarget) {
        this.engine = engine;
        this.fe = fe;
        this.client = fe.channel();
        this.clock = fe.clock();
        this.startNanos = clock.nanoTime();
        this.startMillis = clock.epochMillis();
        this.head = head;
        this.inbound = inbound;
        this.receivedTarget = receivedTarget;
        this.bodyless = head.bodyKind() == BodyKind.NONE
                || head.bodyKind() == BodyKind.LENGTH && head.contentLength() == 0;
        this.upstreamActivityNanos = startNanos;
    }

    // ------------------------------------------------------------------------------------------------ start

    /** Routes the request, picks an upstream, builds the outbound head, and asks for a connection. */
    void start() {
        if (head.method().equals("CONNECT")) {
            // and close, as nginx does: a client that sends tunnel bytes at once must not have them read as requests
            forceClose = true;
            respondLocally(405, Phase.CLIENT_READ, "method_not_allowed");
            return;
        }
        route = engine.match(inbound.authority(), inbound.path());
        if (route == null) {
            respondLocally(404, Phase.SELECT_UPSTREAM, "no_route");
            return;
        }
        inbound.route(route.name);
        tries = new Tries(route.upstreamSet, head);
        UpstreamTarget picked;
        try {
            picked = tries.first(inbound);
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            fail(Phase.SELECT_UPSTREAM, FailureKind.PLUGIN_FAILURE, e);
            return;
        }
        if (picked == null) {
            fail(Phase.SELECT_UPSTREAM, FailureKind.NO_UPSTREAM, null);
            return;
        }
        target = picked;
        try {
            outbound = buildOutbound(picked.upstream);
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            fail(Phase.SELECT_UPSTREAM, FailureKind.PLUGIN_FAILURE, e);
            return;
        }
        acquire(true);
        if (upstream == null && !ended) {
            // still connecting; a pooled connection was handed over at once, without turning reading off and on
            // again (two epoll_ctl calls per request)
            fe.block(FrontendHandler.BLOCK_CONNECTING, true);
        }
    }

    private OutboundRequest buildOutbound(Upstream upstreamPicked) {
        HeaderBlock h = head.headers().copy();
        String announcedTrailers = joined(h, "Trailer");
        String upgradeValue = HopByHop.strip(h, true);
        if (announcedTrailers != null && head.bodyKind() == BodyKind.CHUNKED) {
            h.add("Trailer", announcedTrailers); // still true of the chunked body sent upstream
        }
        if (head.isHttp11() && upgradeValue != null && head.headers().containsToken("Connection", "upgrade")) {
            upgradeProtocol = HeaderNames.listContains(upgradeValue, "h2c") ? withoutH2c(upgradeValue) : upgradeValue;
        }
        String absoluteAuthority = fe.absoluteAuthority();
        if (absoluteAuthority != null) {
            h.set("Host", absoluteAuthority);
        } else if (inbound.authority() == null) {
            // an HTTP/1.0 client sent no Host; HTTP/1.1 upstream needs one: the upstream's, as Go and nginx send
            h.add("Host", upstreamPicked.authority());
        }
        forwardedHeaders(h);
        if (route.forwarded.via() != null) {
            appendVia(h, route.forwarded.via());
        }
        String path = head.target();
        if (route.mergeSlashes) {
            path = mergeSlashes(path);
        }
        OutboundRequest out = new OutboundRequest(head.method(), path, h, head.bodyKind());
        OutboundProxyRequest view = new OutboundProxyRequest(inbound, upstreamPicked, out);
        for (Director d : route.directors) {
            d.direct(view);
        }
        enforceFraming(h);
        if (upgradeProtocol != null) {
            h.remove("Connection");
            h.remove("Upgrade");
            h.add("Connection", "Upgrade");
            h.add("Upgrade", upgradeProtocol);
        }
        return out;
    }

    /**
     * An Upgrade list without {@code h2c} (cleartext HTTP/2, which the proxy does not speak upstream), or {@code null}
     * when nothing else is offered: {@code h2c, websocket} still upgrades to WebSocket.
     */
    static String withoutH2c(String upgrade) {
        StringBuilder kept = new StringBuilder(upgrade.length());
        for (String protocol : upgrade.split(",")) {
            String p = protocol.trim();
            if (!p.isEmpty() && !p.equalsIgnoreCase("h2c")) {
                kept.append(kept.length() == 0 ? "" : ", ").append(p);
            }
        }
        return kept.length() == 0 ? null : kept.toString();
    }

    /** Framing headers belong to the proxy: whatever a director did, the upstream gets the body's true framing. */
    private void enforceFraming(HeaderBlock h) {
        h.remove("Transfer-Encoding"); // the encoder writes it for a chunked body
        switch (head.bodyKind()) {
            case LENGTH:
                String cl = Long.toString(head.contentLength());
                if (!cl.equals(h.get("Content-Length")) || h.count("Content-Length") != 1) {
                    h.set("Content-Length", cl);
                }
                break;
            case CHUNKED:
                h.remove("Content-Length");
                break;
            default:
                h.remove("Content-Length");
        }
    }

    private void forwardedHeaders(HeaderBlock h) {
        ForwardedSettings fw = route.forwarded;
        boolean trusted = route.trusts(inbound.clientAddress().getAddress());
        String prior = null;
        if (trusted) {
            prior = joined(h, "X-Forwarded-For");
        } else {
            for (int i = h.size() - 1; i >= 0; i--) {
                if (h.nameStartsWith(i, "x-forwarded-") || h.nameEquals(i, "forwarded")) {
                    h.removeAt(i);
                }
            }
        }
        // our names; values the parser checked (received X-Forwarded-For, Host) or that we made (address, scheme)
        if (fw.xForwardedFor()) {
            String ip = fe.clientIp();
            h.setUnchecked("X-Forwarded-For", prior == null ? ip : prior + ", " + ip);
        }
        // from a trusted proxy (a TLS-terminating balancer in front, say), the host and scheme it received stand, as
        // Caddy keeps them: the application must learn that the client asked for https://outer, not http://inner
        if (fw.xForwardedHost() && inbound.authority() != null && !(trusted && h.indexOf("X-Forwarded-Host", 0) >= 0)) {
            h.setUnchecked("X-Forwarded-Host", inbound.authority());
        }
        if (fw.xForwardedProto() && !(trusted && h.indexOf("X-Forwarded-Proto", 0) >= 0)) {
            h.setUnchecked("X-Forwarded-Proto", inbound.scheme());
        }
    }

    static void appendVia(HeaderBlock h, String pseudonym) {
        String entry = "1.1 " + pseudonym;
        String existing = joined(h, "Via");
        h.set("Via", existing == null ? entry : existing + ", " + entry);
    }

    static String mergeSlashes(String target) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.indexOf("//") < 0) {
            return target;
        }
        StringBuilder b = new StringBuilder(target.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '/' || b.length() == 0 || b.charAt(b.length() - 1) != '/') {
                b.append(c);
            }
        }
        return q < 0 ? b.toString() : b.append(target, q, target.length()).toString();
    }

    private void acquire(boolean allowPooled) {
        attempts++;
        acquireNanos = clock.nanoTime();
        engine.pool(client.eventLoop()).acquire(target, this, allowPooled);
    }

    int connectTimeoutMillis() {
        return route.connectTimeoutMillis;
    }

    // -------------------------------------------------------------------------------------- upstream connection

    void onConnected(BackendHandler handler, boolean reused) {
        if (ended || upstream != null) {
            handler.pool().release(handler); // unused: as good as new
            return;
        }
        be = handler;
        upstream = handler.channel();
        reusedConnection = reused;
        connectedNanos = clock.nanoTime();
        upstreamActivityNanos = connectedNanos;
        handler.attach(this, outbound.isHead());
        be.out().write(outbound, upstream.voidPromise());
        boolean queued = pending != null && !pending.isEmpty();
        if (queued) {
            Object msg;
            while ((msg = pending.poll()) != null) {
                be.out().write(msg, upstream.voidPromise());
            }
        }
        if (queued || !fe.inReadBatch()) {
            be.out().flush(); // else the client's read batch ends with one flush (FrontendHandler.channelReadComplete)
            if (be != handler) {
                // the flush failed at once (a pooled connection the upstream had just reset): the failure dropped
                // this attempt and a retry or the failure is already under way
                return;
            }
        }
        if (requestComplete) {
            markRequestSent();
        } else if (head.expectsContinue() && head.isHttp11() && !bodyless && requestBytes == 0 && !informationalSent) {
            continueDeadline = connectedNanos + CONTINUE_WAIT_NANOS;
            fe.armTimer(continueDeadline);
        }
        fe.block(FrontendHandler.BLOCK_CONNECTING, false);
        if (!upstream.isWritable()) {
            fe.block(FrontendHandler.BLOCK_UPSTREAM_FULL, true);
        }
    }

    void onConnectFailed(Throwable cause) {
        if (ended) {
            return;
        }
        FailureKind kind;
        if (cause instanceof ConnectTimeoutException || cause instanceof SslHandshakeTimeoutException) {
            kind = FailureKind.CONNECT_TIMEOUT;
        } else if (cause instanceof SSLException) {
            kind = FailureKind.TLS_FAILURE;
        } else if (cause instanceof ConnectException || cause instanceof NoRouteToHostException
                || cause instanceof UnknownHostException || cause instanceof UnresolvedAddressException) {
            kind = FailureKind.CONNECT_REFUSED;
        } else if (cause instanceof IOException) {
            kind = FailureKind.CONNECT_REFUSED;
        } else {
            kind = FailureKind.INTERNAL;
        }
        if (kind != FailureKind.INTERNAL && retry(Phase.CONNECT, kind, cause, false)) {
            return;
        }
        fail(Phase.CONNECT, kind, cause);
    }

    private void markRequestSent() {
        requestSent = true;
        requestSentNanos = clock.nanoTime();
        if (!responseHeadReceived) {
            // the connection's timer checks it (checkIdle): no timer task of its own per request
            fe.armTimer(requestSentNanos + route.responseHeaderTimeoutNanos);
        }
    }

    // ------------------------------------------------------------------------------------------ request side

    void onRequestContent(ByteBuf content) {
        int n = content.readableBytes();
        requestBytes += n;
        if (ended || discarding || upstream == null && route == null) {
            content.release();
            discard(n);
            return;
        }
        if (tries != null) {
            tries.keep(content);
        }
        if (upstream == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(content);
            return;
        }
        writingUpstream = true;
        MemoryPressure.adjustMarks(upstream);
        be.out().write(content, upstream.voidPromise());
        if (!upstream.isWritable()) {
            // past the high-water mark: send what is queued now, and stop reading the client only when the
            // upstream's socket does not take it (each pause and resume of reading costs an epoll_ctl)
            be.out().flush();
            // a failed flush reports to the upstream's pipeline at once; a retry or a failure then dropped the
            // upstream (null) and unblocked the client, which must stay unblocked
            if (upstream != null && !upstream.isWritable()) {
                fe.block(FrontendHandler.BLOCK_UPSTREAM_FULL, true);
            }
        }
        writingUpstream = false;
    }

    void onRequestEnd(LastChunk last) {
        requestComplete = true;
        if (discarding || ended) {
            if (ended && responseDone) {
                fe.exchangeDone(this, clientKeepAlive);
            }
            return;
        }
        if (tries != null) {
            tries.keepEnd(last);
        }
        if (upstream == null) {
            if (pending == null) {
                pending = new ArrayDeque<>(1);
            }
            pending.add(last);
            return;
        }
        BackendHandler handler = be;
        if (fe.inReadBatch()) {
            be.out().write(last, upstream.voidPromise()); // flushed once at the end of the client's read batch
        } else {
            be.out().writeAndFlush(last, upstream.voidPromise());
            if (be != handler) {
                return; // the flush failed at once and dropped this attempt (see onConnected)
            }
        }
        markRequestSent();
    }

    /** The client's request body turned out invalid or too large after its head was accepted. */
    void onClientProtocolError(DecodeFailure failure) {
        if (ended) {
            // answered already (the rest of the body was being dropped): the client may still be sending, linger
            fe.closeAfterFlush(true);
            return;
        }
        clientKeepAlive = false;
        forceClose = true;
        requestComplete = true; // nothing more will be read: the decoder discards the rest
        failWithStatus(Phase.CLIENT_READ, FailureKind.CLIENT_PROTOCOL_ERROR,
                new ProtocolException(failure.message()), failure.status());
    }

    /** Called at the end of each read batch of the client: pushes what was written upstream. */
    void flushUpstream() {
        if (be != null) {
            be.out().flush();
        }
    }

    void onClientGone(Throwable cause) {
        if (ended) {
            return;
        }
        // the proxy closing its connections when the shutdown grace period ran out is not the client's doing
        fail(currentPhase(true), engine.graceElapsed ? FailureKind.SHUTDOWN : FailureKind.CLIENT_CLOSED, cause);
    }

    /** The shutdown grace period ran out with this exchange unfinished (see {@link FrontendHandler#cutOff()}). */
    void cutOff() {
        fail(currentPhase(true), FailureKind.SHUTDOWN, null);
    }

    void onClientWritabilityChanged(boolean writable) {
        // a client that turns unwritable inside onResponseContent is handled there, after a flush
        if (upstream != null && (writable || !writingClient)) {
            upstream.config().setAutoRead(writable);
        }
    }

    // ----------------------------------------------------------------------------------------- response side

    void onResponseHead(ResponseHead res) {
        if (ended) {
            return;
        }
        upstreamActivityNanos = clock.nanoTime();
        if (res.isInformational()) {
            if (res.status() == 101) {
                String problem = switchProblem(joined(res.headers(), "Upgrade"));
                if (problem != null) {
                    fail(Phase.AWAIT_RESPONSE_HEAD, FailureKind.INVALID_RESPONSE, new ProtocolException(problem));
                } else {
                    startTunnel(res);
                }
                return;
            }
            if (res.status() == 100 && continueSent) {
                return; // the proxy said it already; the client has its body on the way
            }
            if (head.isHttp11()) { // never send 1xx to an HTTP/1.0 client (RFC 9110 15.2)
                HopByHop.strip(res.headers(), false);
                client.writeAndFlush(res, client.voidPromise());
                informationalSent = true;
            }
            return;
        }
        if (tries.retriesStatus(res.status()) && retryAfterStatus(res.status())) {
            return;
        }
        responseHeadReceived = true;
        responseHeadNanos = upstreamActivityNanos;
        status = res.status();
        upstreamKeepAlive = res.isKeepAlive();
        HeaderBlock h = res.headers();
        String announcedTrailers = joined(h, "Trailer");
        HopByHop.strip(h, false);
        if (route.forwarded.via() != null) {
            appendVia(h, route.forwarded.via());
        }
        if (h.indexOf("Date", 0) < 0) {
            h.add("Date", clock.httpDate()); // RFC 9110 6.6.1: a recipient with a clock adds the Date a response lacks
        }
        BodyKind in = res.bodyKind();
        String codings = res.codingsBesideChunked();
        BodyKind out = in == BodyKind.NONE || in == BodyKind.LENGTH ? in
                : head.isHttp11() ? BodyKind.CHUNKED : BodyKind.UNTIL_CLOSE;
        if (codings != null && out == BodyKind.CHUNKED) {
            // the body stays encoded: say so; the encoder's own Transfer-Encoding: chunked line follows, and the two
            // lines read as "gzip, chunked" (RFC 9110 5.3). An HTTP/1.0 client cannot be told (RFC 9112 6.1).
            h.add("Transfer-Encoding", codings);
        }
        if (announcedTrailers != null && out == BodyKind.CHUNKED) {
            h.add("Trailer", announcedTrailers); // the trailers will follow: announce them again, like Go
        }
        batchFlushes = route.flushIntervalNanos > 0 && in == BodyKind.LENGTH && !eventStream(h);
        clientKeepAlive = head.isKeepAlive() && out != BodyKind.UNTIL_CLOSE && !engine.draining && !fe.closing()
                // an answer before the body of an Expect: 100-continue request: the client may never send that body
                // (RFC 9110 10.1.1), so say the connection closes, as Go's server does, rather than wait for it
                && !(head.expectsContinue() && !requestComplete && !bodyless);
        if (!clientKeepAlive) {
            h.add("Connection", "close");
        } else if (!head.isHttp11()) {
            h.add("Connection", "keep-alive");
        }
        res.bodyKind(out, res.contentLength());
        fe.out().write(res, client.voidPromise());
        responseStarted = true;
    }

    void onResponseContent(ByteBuf content) {
        if (ended) {
            content.release();
            return;
        }
        responseBytes += content.readableBytes();
        writingClient = true;
        MemoryPressure.adjustMarks(client);
        fe.out().write(content, client.voidPromise());
        if (!client.isWritable()) {
            // past the high-water mark: send what is queued now, within the read batch, and stop reading the
            // upstream only when the client's socket does not take it (each pause and resume costs an epoll_ctl)
            fe.out().flush();
            if (!client.isWritable() && upstream != null) {
                upstream.config().setAutoRead(false);
            }
        }
        writingClient = false;
    }

    void onResponseEnd(LastChunk last) {
        if (ended) {
            return;
        }
        upstreamEndNanos = clock.nanoTime();
        responseDone = true;
        fe.out().writeAndFlush(last, client.voidPromise());
        if (ended) {
            return; // the client's socket failed at once: onClientGone ended the exchange and closed the upstream
        }
        BackendHandler handler = be;
        Channel ch = upstream;
        be = null;
        upstream = null;
        handler.detach();
        ch.config().setAutoRead(true);
        // bytes beyond the end of the response (a body sent with a HEAD answer, say) spoil the connection
        if (upstreamKeepAlive && requestSent && upgradeProtocol == null && handler.decoder().bufferedBytes() == 0) {
            handler.pool().release(handler);
        } else {
            ch.close();
        }
        end();
    }

    void onUpstreamReadComplete() {
        upstreamActivityNanos = clock.nanoTime();
        if (!batchFlushes) {
            fe.out().flush();
        } else if (flushTimer == null) {
            flushTimer = client.eventLoop().schedule(this::flushClient, route.flushIntervalNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void flushClient() {
        flushTimer = null;
        client.flush();
    }

    /** Whether the response's Content-Type is {@code text/event-stream}: server-sent events are flushed at once. */
    private static boolean eventStream(HeaderBlock h) {
        String contentType = h.get("Content-Type");
        return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /** The values of every field named {@code name}, joined with ", ", or null when there is none. */
    private static String joined(HeaderBlock h, String name) {
        String all = null;
        for (int i = 0; i < h.size(); i++) {
            if (h.nameEquals(i, name)) {
                all = all == null ? h.value(i) : all + ", " + h.value(i);
            }
        }
        return all;
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        // an upstream that turns unwritable inside onRequestContent is handled there, after a flush
        if (writable || !writingUpstream) {
            fe.block(FrontendHandler.BLOCK_UPSTREAM_FULL, !writable);
        }
    }

    void onInvalidResponse(DecodeFailure failure) {
        if (!ended) {
            ProtocolException cause = new ProtocolException(failure.message());
            if (!responseHeadReceived && retry(currentPhase(false), FailureKind.INVALID_RESPONSE, cause, true)) {
                return;
            }
            fail(currentPhase(false), FailureKind.INVALID_RESPONSE, cause);
        }
    }

    /** The upstream connection closed ({@code cause == null}) or failed. */
    void onUpstreamClosed(Throwable cause) {
        if (ended) {
            return;
        }
        if (canRetryOnFreshConnection()) {
            retried = true;
            LOG.debug("{} {}: pooled connection to {} was closed before answering; retrying on a new one",
                    fe.id(), route.name, target);
            BackendHandler handler = be;
            be = null;
            upstream = null;
            requestSent = false;
            handler.detach();
            handler.channel().close();
            fe.block(FrontendHandler.BLOCK_CONNECTING, true);
            acquire(false);
            return;
        }
        FailureKind kind = cause instanceof SSLException ? FailureKind.TLS_FAILURE
                : cause == null || cause instanceof IOException ? FailureKind.UPSTREAM_CLOSED : FailureKind.INTERNAL;
        if (kind != FailureKind.INTERNAL && !responseHeadReceived && retry(currentPhase(false), kind, cause, true)) {
            return;
        }
        fail(currentPhase(false), kind, cause);
    }

    /**
     * A keep-alive connection the upstream closed just as it was reused: the request can safely be sent again on a
     * new one when nothing of it can have been processed twice (no body, idempotent method) and nothing came back.
     */
    private boolean canRetryOnFreshConnection() {
        if (!reusedConnection || retried || responseHeadReceived || !bodyless || !requestComplete) {
            return false;
        }
        return Tries.isIdempotent(head);
    }

    // ----------------------------------------------------------------------------------- retries (issue 5)

    /**
     * Moves the exchange to another upstream when the route's retry settings allow it: nothing reached the client
     * yet, attempts and budget are left, and after the request started going upstream ({@code afterSend}) it must be
     * idempotent with its body still kept. The failed attempt ends as a failure of its upstream. Returns whether the
     * exchange moved on (the caller then does nothing more).
     */
    private boolean retry(Phase phase, FailureKind kind, Throwable cause, boolean afterSend) {
        if (!canMoveOn() || !tries.mayRetry(afterSend)) {
            return false;
        }
        UpstreamTarget failed = target;
        UpstreamTarget next = tries.retry(UpstreamSet.Outcome.FAILURE);
        if (next == null) {
            return false;
        }
        // the standard reason, as the access log would say it had there been no retry: upstream_refused
        String reason = dev.proxykit.api.ErrorClassifier.standard().classify(new ProxyError(phase, kind, cause, false))
                .reason();
        LOG.info("{} route {} {} {}: {} in {} at upstream {}{}; trying upstream {} (attempt {} of {})", fe.id(),
                route.name, head.method(), receivedTarget, reason, phase, failed.upstream.address(),
                cause == null ? "" : " (" + IoErrors.describe(cause) + ")", next.upstream.address(),
                tries.tried().size(),
                route.upstreamSet.retries().attempts());
        return moveTo(next, afterSend);
    }

    /** An answer whose status the route retries: drop it (closing its connection) and move on, if allowed. */
    private boolean retryAfterStatus(int st) {
        if (!canMoveOn()) {
            return false;
        }
        UpstreamTarget failed = target;
        UpstreamTarget next = tries.retry(tries.isFailureStatus(st) ? UpstreamSet.Outcome.FAILURE
                : UpstreamSet.Outcome.SUCCESS);
        if (next == null) {
            return false;
        }
        LOG.info("{} route {} {} {}: upstream {} answered {}; trying upstream {} (attempt {} of {})", fe.id(),
                route.name, head.method(), receivedTarget, failed.upstream.address(), st, next.upstream.address(),
                tries.tried().size(), route.upstreamSet.retries().attempts());
        return moveTo(next, true);
    }

    /** Stops waiting for the upstream and closes its connection (never reused after a failure), if any. */
    private void dropUpstream() {
        cancelFlushTimer();
        if (be != null) {
            be.detach();
            upstream.close();
            be = null;
            upstream = null;
        }
    }

    private boolean canMoveOn() {
        return !ended && tries != null && !responseStarted && !informationalSent;
    }

    /**
     * Drops the current upstream connection and starts the next attempt on {@code next}: directors run again on a
     * fresh outbound head, and after a send the kept body goes again ({@code replay}).
     */
    private boolean moveTo(UpstreamTarget next, boolean replay) {
        dropUpstream();
        requestSent = false;
        fe.block(FrontendHandler.BLOCK_UPSTREAM_FULL, false);
        if (replay) {
            releasePending(); // whatever was not sent yet is in the replay too, with everything that was
            pending = tries.replay();
        }
        target = next;
        try {
            outbound = buildOutbound(next.upstream);
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            fail(Phase.SELECT_UPSTREAM, FailureKind.PLUGIN_FAILURE, e);
            return true;
        }
        fe.block(FrontendHandler.BLOCK_CONNECTING, true);
        acquire(true);
        return true;
    }

    /** What the attempt still open at the end of the exchange tells about its upstream. */
    private UpstreamSet.Outcome outcome() {
        if (failureKind != null) {
            switch (failureKind) {
                case CONNECT_REFUSED:
                case CONNECT_TIMEOUT:
                case TLS_FAILURE:
                case UPSTREAM_CLOSED:
                case RESPONSE_HEADER_TIMEOUT:
                case INVALID_RESPONSE:
                    return UpstreamSet.Outcome.FAILURE;
                case IDLE_TIMEOUT:
                    return failurePhase == Phase.CLIENT_READ ? UpstreamSet.Outcome.NEUTRAL
                            : UpstreamSet.Outcome.FAILURE;
                default:
                    return UpstreamSet.Outcome.NEUTRAL;
            }
        }
        if (!responseHeadReceived) {
            return UpstreamSet.Outcome.NEUTRAL;
        }
        return tries.isFailureStatus(status) ? UpstreamSet.Outcome.FAILURE : UpstreamSet.Outcome.SUCCESS;
    }

    // ---------------------------------------------------------------------------------------------- timeouts

    /**
     * Checks the response-header and idle timeouts, and sends 100 Continue when due; returns the time (nanoTime) of
     * the next check, or {@code Long.MAX_VALUE} when none is needed.
     */
    long checkIdle(long now, long clientActivityNanos) {
        if (ended) {
            // answered; only the rest of the request body is awaited (and dropped)
            long deadline = clientActivityNanos + idleTimeoutNanos();
            if (now - deadline >= 0) {
                fe.closeNow();
                return Long.MAX_VALUE;
            }
            return deadline;
        }
        // the earliest of the deadlines other than idleness: sending 100 Continue, the response-header timeout
        long headerDeadline = checkContinue(now);
        if (requestSent && !responseHeadReceived) {
            long timeout = requestSentNanos + route.responseHeaderTimeoutNanos;
            if (now - timeout >= 0) {
                fail(Phase.AWAIT_RESPONSE_HEAD, FailureKind.RESPONSE_HEADER_TIMEOUT, null);
                return Long.MAX_VALUE;
            }
            if (headerDeadline == Long.MAX_VALUE || timeout - headerDeadline < 0) {
                headerDeadline = timeout;
            }
        }
        long last = Math.max(clientActivityNanos, upstreamActivityNanos);
        long deadline = last + route.idleTimeoutNanos;
        if (now - deadline < 0) {
            return headerDeadline != Long.MAX_VALUE && headerDeadline - deadline < 0 ? headerDeadline : deadline;
        }
        if (!requestComplete && upstream != null && upstream.isWritable()) {
            forceClose = true; // the client stalled inside its body: there is nothing to drain, only to close
            fail(Phase.CLIENT_READ, FailureKind.IDLE_TIMEOUT, null);
        } else if (responseStarted && !client.isWritable()) {
            fail(Phase.STREAM_RESPONSE, FailureKind.CLIENT_TIMEOUT, null);
        } else {
            fail(currentPhase(false), FailureKind.IDLE_TIMEOUT, null);
        }
        return Long.MAX_VALUE;
    }

    /**
     * Sends {@code 100 Continue} to a client that expects it once the upstream has let {@link #CONTINUE_WAIT_NANOS}
     * pass without a word, and no body byte came; returns when to check again, or {@code Long.MAX_VALUE}.
     */
    private long checkContinue(long now) {
        if (continueDeadline == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        if (requestBytes > 0 || requestComplete || responseHeadReceived || informationalSent || upstream == null) {
            continueDeadline = Long.MAX_VALUE; // the body is coming, or an answer came: nothing to say
            return Long.MAX_VALUE;
        }
        if (now - continueDeadline < 0) {
            return continueDeadline;
        }
        continueDeadline = Long.MAX_VALUE;
        continueSent = true;
        informationalSent = true; // as a relayed 1xx: the client now sends its body, which no retry could replay
        client.writeAndFlush(ResponseHead.of(100, "Continue", new HeaderBlock(0), BodyKind.NONE, 0),
                client.voidPromise());
        return Long.MAX_VALUE;
    }

    long idleTimeoutNanos() {
        return route == null ? engine.idleTimeoutNanos : route.idleTimeoutNanos;
    }

    // ----------------------------------------------------------------------------------------------- upgrade

    /**
     * What is wrong with a 101 whose {@code Upgrade} is {@code answered}, or null: RFC 9110 7.8, a server switches
     * only to a protocol the client offered (the offer as it went upstream, h2c taken out), and 15.2.2, it says which.
     */
    private String switchProblem(String answered) {
        if (upgradeProtocol == null) {
            return "101 Switching Protocols to a request that asked for no upgrade";
        }
        if (answered == null || answered.isBlank()) {
            return "101 Switching Protocols without an Upgrade field";
        }
        for (String token : answered.split(",")) {
            String protocol = token.trim();
            if (!protocol.isEmpty() && !HeaderNames.listContains(upgradeProtocol, protocol)) {
                return "101 Switching Protocols to \"" + protocol + "\", which the client did not offer (it offered \""
                        + upgradeProtocol + "\")";
            }
        }
        return null;
    }

    private void startTunnel(ResponseHead res) {
        responseHeadReceived = true;
        responseStarted = true;
        responseHeadNanos = upstreamActivityNanos;
        status = 101;
        HeaderBlock h = res.headers();
        String protocol = HopByHop.strip(h, false);
        h.add("Connection", "Upgrade");
        h.add("Upgrade", protocol); // checked in switchProblem: present, and offered
        client.writeAndFlush(res, client.voidPromise());
        if (ended) {
            return; // as in onResponseEnd
        }
        BackendHandler handler = be;
        Channel up = upstream;
        be = null;
        upstream = null;
        handler.detach();
        ByteBuf fromUpstream = handler.decoder().detachRemaining();
        ByteBuf fromClient = fe.detachForTunnel();
        Tunnel.join(client, up, fromClient, fromUpstream, route.idleTimeoutNanos, (clientToUpstream, upstreamToClient) -> {
            requestBytes += clientToUpstream;
            responseBytes += upstreamToClient;
            upstreamEndNanos = clock.nanoTime();
            responseDone = true;
            requestComplete = true;
            if (engine.graceElapsed) {
                // closed by the proxy when the shutdown grace period ran out, not by either peer: say so
                fail(Phase.TUNNEL, FailureKind.SHUTDOWN, null);
            }
            end();
        });
    }

    // ------------------------------------------------------------------------------------------------ failure

    private Phase currentPhase(boolean clientSide) {
        if (clientSide && !requestComplete) {
            return Phase.CLIENT_READ;
        }
        if (upstream == null && !responseHeadReceived) {
            return route == null || target == null ? Phase.SELECT_UPSTREAM : Phase.CONNECT;
        }
        if (!requestSent) {
            return Phase.WRITE_REQUEST;
        }
        return responseHeadReceived ? Phase.STREAM_RESPONSE : Phase.AWAIT_RESPONSE_HEAD;
    }

    void fail(Phase phase, FailureKind kind, Throwable cause) {
        failWithStatus(phase, kind, cause, 0);
    }

    /**
     * Classifies and handles a failure: the upstream connection is closed (never reused); the client gets the status
     * if nothing of the response was sent, otherwise its connection is closed so that a truncated body is never
     * taken for a complete one.
     *
     * @param specificStatus for client protocol errors, the parser's specific 4xx (413, 414, 431...), which wins
     *                       over a generic 400
     */
    private void failWithStatus(Phase phase, FailureKind kind, Throwable cause, int specificStatus) {
        if (ended || failureKind != null) {
            // once: closing the client or the upstream below fails their pending writes, whose listeners land here
            // again before end() has run (a client timed out while not reading would be logged again as a 499)
            return;
        }
        ErrorClassifier classifier = route != null ? route.classifier : engine.defaultClassifier;
        Classification c;
        try {
            c = classifier.classify(new ProxyError(phase, kind, cause, responseStarted));
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            LOG.error("{} error classifier threw on {} {}; using the standard classification", fe.id(), phase, kind, e);
            c = null;
        }
        if (c == null) {
            c = dev.proxykit.api.ErrorClassifier.standard().classify(new ProxyError(phase, kind, cause, responseStarted));
        }
        int st = c.status();
        String reason = c.reason();
        if (specificStatus != 0 && st == 400) {
            st = specificStatus;
            if ("bad_request".equals(reason)) {
                // the standard reason: say which limit, as when the head shows it (413 request_body_too_large)
                reason = FrontendHandler.reasonFor(specificStatus);
            }
        }
        failurePhase = phase;
        failureReason = reason;
        failureKind = kind;
        // a response under way (a tunnel's 101 included) keeps the status the client got, unless the failure is the
        // client's own (it went away: 499; it stopped reading: 408)
        boolean clientsOwn = kind == FailureKind.CLIENT_CLOSED || kind == FailureKind.CLIENT_TIMEOUT;
        int cutStatus = responseStarted && status != 0 && !clientsOwn ? status : 0;
        logFailure(phase, kind, cause, st, reason, cutStatus);
        if (cutStatus == 0) {
            status = st;
        }

        dropUpstream();
        releasePending();
        boolean clientGone = kind == FailureKind.CLIENT_CLOSED || kind == FailureKind.SHUTDOWN && !client.isActive();
        if (responseStarted || clientGone) {
            // the client connection is gone, or a truncated body must never look complete: close it
            clientKeepAlive = false;
            client.flush();
            uncountUnsent();
            fe.closeNow();
            end();
            return;
        }
        respondError(st);
    }

    /**
     * A response cut off: the body bytes still in the client channel's outbound buffer, which the kernel never took,
     * were not sent; the record counts what left, as nginx's {@code $body_bytes_sent} does. (A client that reset the
     * connection has had its buffer failed and dropped before this runs: its count stays what was written.)
     */
    private void uncountUnsent() {
        ChannelOutboundBuffer out = client.unsafe().outboundBuffer();
        if (out == null) {
            return;
        }
        // the buffers' readable bytes, not totalPendingWriteBytes(): that counts a partly written buffer whole, and
        // an overhead per entry; chunk-size lines of a chunked body, a few bytes each, are counted as body here
        long[] unsent = {0};
        try {
            out.forEachFlushedMessage(msg -> {
                if (msg instanceof ByteBuf b) {
                    unsent[0] += b.readableBytes();
                }
                return true;
            });
        } catch (Exception e) {
            throw new IllegalStateException(e); // the processor above throws nothing
        }
        responseBytes -= Math.min(responseBytes, unsent[0]);
    }

    /** @param sent the status of a response under way that the failure cuts off, else 0 */
    private void logFailure(Phase phase, FailureKind kind, Throwable cause, int st, String reason, int sent) {
        String routeName = route == null ? "-" : route.name;
        String where = target == null ? "" : " upstream " + target.upstream.address();
        String cut = sent == 101 ? "; the tunnel is cut" : sent != 0 ? "; the client's " + sent + " response is cut off"
                : "";
        String why = (cause != null ? ": " + IoErrors.describe(cause) : timeoutText(kind)) + cut;
        if (kind == FailureKind.CLIENT_CLOSED || st < 500) {
            LOG.info("{} route {} {} {}: {} {} in {}{}{}", fe.id(), routeName, head.method(), receivedTarget, st,
                    reason, phase, where, why);
        } else {
            LOG.warn("{} route {} {} {}: {} {} in {}{}{}", fe.id(), routeName, head.method(), receivedTarget, st,
                    reason, phase, where, why);
        }
    }

    /** Which timeout ran out, and after how long, as nginx says "upstream timed out ... while reading ...". */
    private String timeoutText(FailureKind kind) {
        switch (kind) {
            case RESPONSE_HEADER_TIMEOUT:
                return ": no response head within " + UpstreamSet.readable(route.responseHeaderTimeoutNanos)
                        + " (timeouts.response-header)";
            case IDLE_TIMEOUT:
                return ": nothing moved either way for " + UpstreamSet.readable(idleTimeoutNanos())
                        + " (timeouts.idle)";
            case CLIENT_TIMEOUT:
                return ": the client read nothing for " + UpstreamSet.readable(idleTimeoutNanos()) + " (timeouts.idle)";
            default:
                return "";
        }
    }

    /** Answers without an upstream (404 no route, 405 CONNECT). */
    private void respondLocally(int st, Phase phase, String reason) {
        status = st;
        failurePhase = phase;
        failureReason = reason;
        respondError(st);
    }

    /** Writes an error response, then ends the exchange once the request body has been read (or discarded). */
    private void respondError(int st) {
        boolean bodyDone = requestComplete || bodyless;
        clientKeepAlive = head.isKeepAlive() && !engine.draining && !fe.closing() && !forceClose
                && (bodyDone || head.bodyKind() == BodyKind.LENGTH && head.contentLength() <= DISCARD_LIMIT
                    || head.bodyKind() == BodyKind.CHUNKED);
        responseBytes += ErrorResponses.write(client, st, clientKeepAlive, head.method().equals("HEAD"),
                clock.httpDate());
        responseStarted = true;
        responseDone = true;
        if (!clientKeepAlive) {
            // a client maybe still sending: linger, lest its answer be reset
            fe.closeAfterFlush(!bodyDone || forceClose);
        } else if (!bodyDone) {
            discarding = true; // read the rest of the body and drop it, so the connection can carry on
        }
        end();
    }

    private void discard(int n) {
        discardedBytes += n;
        if (discarding && discardedBytes > DISCARD_LIMIT) {
            clientKeepAlive = false;
            // every later piece of the body passes here too: a lingering close already asked for ignores the rest
            fe.closeAfterFlush(true); // the answer went out; drop the rest of the body until the client stops
        }
    }

    private void releasePending() {
        if (pending != null) {
            Object msg;
            while ((msg = pending.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    private void cancelFlushTimer() {
        if (flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------- end

    /** Logs the exchange and hands the client connection back to its handler; runs once. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        cancelFlushTimer();
        releasePending();
        if (tries != null) {
            tries.end(outcome());
            tries.release();
        }
        // nothing goes upstream any more: whatever still blocked reading the client for the upstream's sake is gone
        fe.block(FrontendHandler.BLOCK_CONNECTING | FrontendHandler.BLOCK_UPSTREAM_FULL, false);
        logAccess();
        if (!requestComplete && !bodyless) {
            if (!discarding) {
                // the upstream answered before the whole body arrived: drop the rest, then carry on
                discarding = true;
            }
            return; // onRequestEnd finishes it
        }
        if (responseDone || !clientKeepAlive) {
            fe.exchangeDone(this, clientKeepAlive);
        }
    }

    boolean isEnded() {
        return ended;
    }

    boolean isRequestComplete() {
        return requestComplete || bodyless;
    }

    private void logAccess() {
        AccessLogger logger = route != null ? route.accessLogger : engine.defaultAccessLogger;
        if (!isEnabled(logger, fe.id())) {
            return; // off: no record built
        }
        long now = clock.nanoTime();
        AccessRecord record = AccessRecord.builder()
                .connectionId(fe.id())
                .startEpochMillis(startMillis)
                .clientAddress(inbound.clientAddress())
                .realClientIp(realClientIp())
                .method(head.method())
                .target(receivedTarget)
                .protocol(head.protocol())
                .host(inbound.authority())
                .referer(head.headers().get("Referer"))
                .userAgent(head.headers().get("User-Agent"))
                .status(status)
                .requestBodyBytes(requestBytes)
                .responseBodyBytes(responseBytes)
                .route(route == null ? null : route.name)
                .upstream(target == null ? null : target.upstream.address())
                .upstreams(tries == null ? List.of() : tries.tried())
                .attempts(attempts)
                .totalNanos(now - startNanos)
                .connectNanos(connectedNanos < 0 ? -1 : connectedNanos - acquireNanos)
                .upstreamHeaderNanos(responseHeadNanos < 0 || connectedNanos < 0 ? -1
                        // an answer before the whole request went up counts from when it started going up
                        : Math.max(0, responseHeadNanos - (requestSentNanos < 0 ? connectedNanos : requestSentNanos)))
                .upstreamTotalNanos(upstreamEndNanos < 0 || connectedNanos < 0 ? -1 : upstreamEndNanos - connectedNanos)
                .failure(failurePhase, failureReason)
                .build();
        try {
            logger.log(record);
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            LOG.warn("{} access logger threw; record lost: {}", fe.id(), record, e);
        }
    }

    /**
     * {@link AccessRecord#realClientIp()}: only a trusted peer's {@code X-Forwarded-For} names one; the route's
     * {@code trusted-proxies}, or the global ones for a request that matched no route.
     */
    private String realClientIp() {
        Predicate<InetAddress> trusted = route != null ? route::trusts : engine::trusts;
        if (!trusted.test(inbound.clientAddress().getAddress())) {
            return null;
        }
        return RealClient.ip(joined(head.headers(), "X-Forwarded-For"), trusted);
    }

    /** {@link AccessLogger#isEnabled()}; a logger that throws there counts as on (its {@code log} then decides). */
    static boolean isEnabled(AccessLogger logger, String connectionId) {
        try {
            return logger.isEnabled();
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            LOG.warn("{} access logger threw from isEnabled; logging the record anyway", connectionId, e);
            return true;
        }
    }
}
