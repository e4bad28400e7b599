package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import dev.proxykit.runtime.config.ForwardedSettings;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.Timeouts;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How bodies flow, and when connections are flushed, through the real handler pipeline. A request read in one batch
 * goes upstream in one flush, at the end of the batch. How a large body flows ({@link Exchange#onResponseContent},
 * {@link Exchange#onRequestContent}), on {@link EmbeddedChannel}s with the engine's water marks: a piece that takes
 * the receiving connection past the high-water mark is flushed at once, inside the sender's read batch, and reading
 * the sender pauses only when the receiving socket does not take it.
 *
 * <p>What the embedded channels do as real ones would: writes, flushes and writability events run synchronously on
 * the calling thread (the embedded event loop is always "in" it), as on the event loop; {@code setAutoRead} flips
 * the config flag and, when turned back on, calls {@link Channel#read()} (counted in {@link TestChannel#reads}: a
 * pause and resume within a piece leaves the flag true but not the count). What they do not: reading never stops,
 * since the test fires the reads itself, so the tests check the flag instead of missing reads; and a flush hands
 * everything to the "socket" at once unless {@link TestChannel#blocked}, which stands for a peer that reads nothing.
 */
class LargeBodyFlowTest {

    /** One read of a large body: as much as the engine reads at once ({@link Engine#RECV_BUFFERS}). */
    private static final int PIECE = 256 * 1024;
    private static final int BODY = 4 * PIECE;

    private final TestChannel client = new TestChannel();
    private final TestChannel upstream = new TestChannel();
    private AccessRecord record;
    /** Flushes of the upstream connection. */
    private int upstreamFlushes;

    /** An engine with one route to one upstream, a client connection, and a pooled connection to that upstream. */
    @BeforeEach
    void connect() {
        Upstream origin = Upstream.parse("http://127.0.0.1:18080");
        AccessLogger logger = r -> record = r;
        Duration minute = Duration.ofSeconds(60);
        Route route = new Route("large", null, null, List.of(new UpstreamTarget(origin, null)), live -> r -> live.get(0),
                List.of(), ErrorClassifier.standard(), logger, new Timeouts(Duration.ofSeconds(5), minute, minute,
                minute), new ForwardedSettings(true, true, true, List.of(), null), false, Duration.ZERO,
                HealthSettings.NONE, RetrySettings.NONE);
        long minuteNanos = TimeUnit.SECONDS.toNanos(60);
        Engine engine = new Engine(List.of(route), Transport.choose(TransportKind.NIO), false,
                ErrorClassifier.standard(), logger, 8192, 32768, 32768, 0, minuteNanos, minuteNanos, 32, minuteNanos, 0,
                DefaultAddressResolverGroup.INSTANCE, new DefaultChannelGroup("test", GlobalEventExecutor.INSTANCE),
                List.of());

        client.pipeline().addLast("encoder", new Http1Encoder());
        client.pipeline().addLast("decoder", Http1Decoder.forRequests(8192, 32768, 0));
        client.pipeline().addLast("frontend", new FrontendHandler(engine, "http"));
        client.pipeline().fireChannelActive(); // the handlers came after the channel's own activation

        UpstreamPool pool = engine.pool(client.eventLoop());
        BackendHandler backend = new BackendHandler(pool, route.target(origin));
        upstream.pipeline().addLast("flushes", new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                upstreamFlushes++;
                ctx.flush();
            }
        });
        upstream.pipeline().addLast("encoder", new Http1Encoder());
        upstream.pipeline().addLast("decoder", Http1Decoder.forResponses(32768));
        upstream.pipeline().addLast("backend", backend);
        pool.release(backend); // the exchange takes this keep-alive connection
    }

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        upstream.finishAndReleaseAll();
    }

    @Test
    void responseToAClientThatTakesItIsFlushedWithinTheReadBatchAndNeverPausesTheUpstream() {
        startDownload();
        endDownload(streamInOneBatch(upstream, client));
    }

    @Test
    void responseToAClientThatTakesNothingPausesTheUpstreamUntilTheClientDrains() {
        startDownload();
        endDownload(fillThenDrain(upstream, client));
    }

    @Test
    void uploadToAnUpstreamThatTakesItIsFlushedWithinTheReadBatchAndNeverPausesTheClient() {
        startUpload();
        endUpload(streamInOneBatch(client, upstream));
    }

    @Test
    void uploadToAnUpstreamThatTakesNothingPausesTheClientUntilTheUpstreamDrains() {
        startUpload();
        endUpload(fillThenDrain(client, upstream));
    }

    @Test
    void aRequestReadInOneBatchGoesUpstreamInOneFlush() {
        read(client, "GET /small HTTP/1.1\r\nHost: proxy\r\n\r\n");
        assertEquals(1, upstreamFlushes, "head and end of the request, one flush at the end of the read batch");
        assertTrue(drainText(upstream).startsWith("GET /small HTTP/1.1\r\n"));
    }

    @Test
    void aPipelinedRequestHeldBackIsFlushedWhenItsTurnComes() {
        read(client, "GET /a HTTP/1.1\r\nHost: proxy\r\n\r\nGET /b HTTP/1.1\r\nHost: proxy\r\n\r\n");
        assertEquals(1, upstreamFlushes);
        String first = drainText(upstream);
        assertTrue(first.startsWith("GET /a HTTP/1.1\r\n") && !first.contains("/b"), first);
        read(upstream, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
        assertTrue(drainText(client).endsWith("\r\n\r\na"));
        // the second request is handed on outside any read of the client: it is flushed at once, and only once
        assertEquals(2, upstreamFlushes);
        assertTrue(drainText(upstream).startsWith("GET /b HTTP/1.1\r\n"));
    }

    /** A GET forwarded upstream, and the head of its 1 MiB answer forwarded to the client. */
    private void startDownload() {
        read(client, "GET /large HTTP/1.1\r\nHost: proxy\r\n\r\n");
        assertTrue(drainText(upstream).startsWith("GET /large HTTP/1.1\r\n"));
        read(upstream, "HTTP/1.1 200 OK\r\nContent-Length: " + BODY + "\r\n\r\n");
        assertTrue(drainText(client).startsWith("HTTP/1.1 200 OK\r\n"));
    }

    /** The client received the whole body, and the exchange is logged with it. */
    private void endDownload(long received) {
        assertEquals(BODY, received);
        assertEquals(200, record.status());
        assertEquals(BODY, record.responseBodyBytes());
    }

    /** The head of a 1 MiB POST forwarded upstream. */
    private void startUpload() {
        read(client, "POST /upload HTTP/1.1\r\nHost: proxy\r\nContent-Length: " + BODY + "\r\n\r\n");
        assertTrue(drainText(upstream).startsWith("POST /upload HTTP/1.1\r\n"));
    }

    /**
     * The upstream received the whole body, its answer reaches the client, and the exchange is logged with the
     * body.
     */
    private void endUpload(long received) {
        assertEquals(BODY, received);
        read(upstream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertTrue(drainText(client).startsWith("HTTP/1.1 200 OK\r\n"));
        assertEquals(200, record.status());
        assertEquals(BODY, record.requestBodyBytes());
    }

    /**
     * Hands {@code from} the body as 4 pieces in one read batch while {@code to} takes everything. After each piece,
     * reading {@code from} must still be on, and never have been turned off and on again (no {@code read()} call:
     * that pair is the two {@code epoll_ctl} calls per read the change removed), and the piece must have gone out
     * to {@code to} already: 256 KiB plus Netty's per-entry overhead passes the 256 KiB high-water mark, so it is
     * flushed within the batch instead of at its end. Returns the body bytes {@code to} received.
     */
    private static long streamInOneBatch(TestChannel from, TestChannel to) {
        int reads = from.reads;
        long received = 0;
        for (int i = 1; i <= 4; i++) {
            from.pipeline().fireChannelRead(piece(from));
            assertTrue(from.config().isAutoRead(), "reading paused after piece " + i + " of a body the peer takes");
            assertEquals(reads, from.reads, "reading paused and resumed after piece " + i);
            long out = drain(to);
            assertTrue(out > 0, "piece " + i + " waits for the end of the read batch instead of being flushed");
            received += out;
        }
        from.pipeline().fireChannelReadComplete();
        return received + drain(to);
    }

    /**
     * Hands {@code from} pieces of the body while {@code to}'s socket takes nothing, until {@code to} is past its
     * high-water mark even after the flush: reading {@code from} must then be off. Once {@code to}'s socket takes
     * its queue again (a flush, whose writability event runs the handlers as a socket's would), reading must be on
     * again; the rest of the body follows in the same read batch. Returns the body bytes {@code to} received.
     */
    private static long fillThenDrain(TestChannel from, TestChannel to) {
        to.blocked = true;
        int sent = 0;
        while (to.isWritable()) {
            assertTrue(sent < 3, "3 pieces of 256 KiB do not fill a connection whose socket takes nothing");
            from.pipeline().fireChannelRead(piece(from));
            sent++;
        }
        assertFalse(from.config().isAutoRead(), "reading goes on while the peer's socket takes nothing");
        assertEquals(0, drain(to));
        to.blocked = false;
        to.flush();
        assertTrue(to.isWritable());
        assertTrue(from.config().isAutoRead(), "reading stays paused after the peer took everything");
        for (; sent < 4; sent++) {
            from.pipeline().fireChannelRead(piece(from));
        }
        from.pipeline().fireChannelReadComplete();
        return drain(to);
    }

    /** One piece of a large body, from the channel's allocator as a socket read would be. */
    private static ByteBuf piece(Channel ch) {
        return ch.alloc().buffer(PIECE).writeZero(PIECE);
    }

    /** One read batch of one buffer holding {@code text}. */
    private static void read(EmbeddedChannel ch, String text) {
        ch.pipeline().fireChannelRead(ch.alloc().buffer().writeBytes(text.getBytes(StandardCharsets.US_ASCII)));
        ch.pipeline().fireChannelReadComplete();
    }

    /** Takes and releases what the channel wrote; returns its size in bytes. */
    private static long drain(EmbeddedChannel ch) {
        long n = 0;
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            if (msg instanceof ByteBuf buf) {
                n += buf.readableBytes();
            }
            ReferenceCountUtil.release(msg);
        }
        return n;
    }

    /** Takes and releases what the channel wrote; returns it as text. */
    private static String drainText(EmbeddedChannel ch) {
        StringBuilder text = new StringBuilder();
        for (ByteBuf buf; (buf = ch.readOutbound()) != null; buf.release()) {
            text.append(buf.toString(StandardCharsets.US_ASCII));
        }
        return text.toString();
    }

    /**
     * An embedded connection as the engine sees a TCP one: loopback addresses and the engine's water marks (which
     * {@code ProxyEngine} and {@code UpstreamPool} set as channel options); its socket can be made full.
     */
    private static final class TestChannel extends EmbeddedChannel {
        private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 18085);
        private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

        /** While set, the socket takes nothing: flushed bytes stay queued, as when the peer reads nothing. */
        boolean blocked;
        /** Calls of {@link #read()}: made when reading is turned back on, and after each read batch. */
        int reads;

        TestChannel() {
            config().setWriteBufferWaterMark(Engine.WATER_MARK);
        }

        @Override
        protected SocketAddress localAddress0() {
            return LOCAL;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return REMOTE;
        }

        @Override
        protected void doWrite(ChannelOutboundBuffer in) throws Exception {
            if (!blocked) {
                super.doWrite(in);
            }
        }

        @Override
        public Channel read() {
            reads++;
            return super.read();
        }
    }
}
