package dev.proxykit.netty;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.ErrorClassifier;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import dev.proxykit.runtime.config.ForwardedSettings;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.Timeouts;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One proxied request through the whole handler pipeline, on {@link EmbeddedChannel}s so that everything runs on the
 * benchmark thread and {@code -prof gc} counts every byte the proxy allocates for it: the client connection's
 * decoder, {@link FrontendHandler}, {@link Exchange} (route, pick, outbound head, pooled upstream connection, access
 * record), the upstream connection's encoder, decoder and {@link BackendHandler}, and the response's way back through
 * the client's encoder. The upstream connection is a keep-alive one from the per-loop pool, as under load.
 *
 * <p>Each request hands the client pipeline one buffer holding the request (as one socket read would), drains what
 * the proxy wrote upstream, hands the upstream pipeline one buffer holding the response, and drains what reached the
 * client. {@link #harnessOnly} does the same buffer work through pipelines that only pass the bytes on: the floor
 * that the harness itself costs.
 *
 * <p>The channels live on, and every request runs on, one {@link FastThreadLocalThread}, as on an event loop: Netty
 * pools its write-queue entries and buffer objects only on such threads, so a plain benchmark thread would count
 * allocations the proxy never makes. Each benchmark call hands that thread a batch of {@value #BATCH} requests and
 * waits; JMH's {@code gc.alloc.rate.norm} counts the allocations of all threads, per request.
 *
 * <p>In package {@code dev.proxykit.netty} (in this module, not the engine's) to reach the engine's package-private
 * types, as its tests do.
 *
 * <pre>
 * java -jar proxy-bench/target/benchmarks.jar RequestPath -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(RequestPathBenchmark.BATCH)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xmx256m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class RequestPathBenchmark {

    /** Requests per benchmark call. */
    static final int BATCH = 100;

    /** {@code wrk}: the request line and Host only, as the load benchmark sends; {@code browser}: 9 more fields. */
    @Param({"wrk", "browser"})
    public String request;

    private static final String RESPONSE = "HTTP/1.1 200 OK\r\n"
            + "Server: nginx/1.22.1\r\n"
            + "Date: Sat, 21 Nov 2026 10:15:30 GMT\r\n"
            + "Content-Type: application/octet-stream\r\n"
            + "Content-Length: 13\r\n"
            + "Last-Modified: Sat, 21 Nov 2026 09:00:00 GMT\r\n"
            + "Connection: keep-alive\r\n"
            + "ETag: \"6740f7b0-d\"\r\n"
            + "Accept-Ranges: bytes\r\n"
            + "\r\n"
            + "Hello, world\n";

    private byte[] requestBytes;
    private final byte[] responseBytes = RESPONSE.getBytes(StandardCharsets.US_ASCII);

    private EmbeddedChannel client;
    private EmbeddedChannel upstream;
    private EmbeddedChannel harnessClient;
    private EmbeddedChannel harnessUpstream;
    private EmbeddedChannel nettyClient;
    private EmbeddedChannel nettyUpstream;
    private ByteBufAllocator alloc;
    private AccessRecord lastRecord;
    private ExecutorService loop;
    private final Callable<Integer> proxyBatch = () -> {
        int n = 0;
        for (int i = 0; i < BATCH; i++) {
            n += proxyOne();
        }
        return n;
    };
    private final Callable<Integer> nettyBatch = () -> {
        int n = 0;
        for (int i = 0; i < BATCH; i++) {
            n += nettyOne();
        }
        return n;
    };
    private final Callable<Integer> harnessBatch = () -> {
        int n = 0;
        for (int i = 0; i < BATCH; i++) {
            n += harnessOne();
        }
        return n;
    };

    /** Starts the event-loop thread and builds everything on it. */
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException, ExecutionException {
        loop = Executors.newSingleThreadExecutor(new DefaultThreadFactory("bench-loop"));
        loop.submit(this::build).get();
    }

    /** Builds an engine with one route to one upstream, a client connection and one pooled upstream connection. */
    private Void build() {
        String head = "GET /13 HTTP/1.1\r\nHost: 127.0.0.1:18085\r\n";
        if (request.equals("browser")) {
            head += "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
                    + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                    + "Accept-Language: en-US,en;q=0.5\r\n"
                    + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                    + "Referer: http://127.0.0.1:18085/index.html\r\n"
                    + "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n"
                    + "Upgrade-Insecure-Requests: 1\r\n"
                    + "Sec-Fetch-Dest: document\r\n"
                    + "Priority: u=0, i\r\n";
        }
        requestBytes = (head + "\r\n").getBytes(StandardCharsets.US_ASCII);

        Upstream origin = Upstream.parse("http://127.0.0.1:18080");
        UpstreamSelector single = live -> r -> live.get(0);
        AccessLogger logger = r -> lastRecord = r;
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(60),
                Duration.ofSeconds(60));
        Route route = new Route("bench", null, null, List.of(new UpstreamTarget(origin, null)), single, List.of(),
                ErrorClassifier.standard(), logger, timeouts, new ForwardedSettings(true, true, true, List.of(), null),
                false, Duration.ZERO, HealthSettings.NONE, RetrySettings.NONE);
        Engine engine = new Engine(List.of(route), Transport.choose(TransportKind.NIO), false, ErrorClassifier.standard(),
                logger, 8192, 32768, 32768, 0, TimeUnit.SECONDS.toNanos(60), TimeUnit.SECONDS.toNanos(60), 32,
                TimeUnit.SECONDS.toNanos(60), 0, DefaultAddressResolverGroup.INSTANCE,
                new DefaultChannelGroup("bench", GlobalEventExecutor.INSTANCE), List.of());

        client = new InetEmbeddedChannel();
        client.pipeline().addLast("encoder", new Http1Encoder());
        client.pipeline().addLast("decoder", Http1Decoder.forRequests(8192, 32768, 0));
        client.pipeline().addLast("frontend", new FrontendHandler(engine, "http"));
        client.pipeline().fireChannelActive();
        alloc = client.alloc();

        UpstreamPool pool = engine.pool(client.eventLoop());
        BackendHandler backend = new BackendHandler(pool, route.target(origin));
        upstream = new InetEmbeddedChannel();
        upstream.pipeline().addLast("encoder", new Http1Encoder());
        upstream.pipeline().addLast("decoder", Http1Decoder.forResponses(32768));
        upstream.pipeline().addLast("backend", backend);
        pool.release(backend);

        harnessClient = new InetEmbeddedChannel(new Forward());
        harnessUpstream = new InetEmbeddedChannel(new Forward());

        Relay relayUp = new Relay();
        Relay relayDown = new Relay();
        nettyClient = new InetEmbeddedChannel(new HttpServerCodec(), relayUp);
        nettyUpstream = new InetEmbeddedChannel(new HttpClientCodec(), relayDown);
        relayUp.to = nettyUpstream;
        relayDown.to = nettyClient;
        if (nettyOne() <= 13) {
            throw new IllegalStateException("Netty's codecs did not pass the response on");
        }

        // one request through, checked, so that a broken set-up fails instead of measuring nothing
        int toClient = proxyOne();
        if (lastRecord == null || lastRecord.status() != 200 || lastRecord.responseBodyBytes() != 13
                || toClient <= 13) {
            throw new IllegalStateException("the proxy did not answer 200 with the body: " + toClient
                    + " bytes, record " + lastRecord);
        }
        return null;
    }

    /** Closes the channels, releasing what they hold, and stops the thread. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException, ExecutionException {
        loop.submit(() -> {
            client.finishAndReleaseAll();
            upstream.finishAndReleaseAll();
            harnessClient.finishAndReleaseAll();
            harnessUpstream.finishAndReleaseAll();
            nettyClient.finishAndReleaseAll();
            nettyUpstream.finishAndReleaseAll();
        }).get();
        loop.shutdown();
    }

    /** The proxy: {@value #BATCH} requests through it; returns the bytes sent back to the client. */
    @Benchmark
    public int proxyOneRequest() throws InterruptedException, ExecutionException {
        return loop.submit(proxyBatch).get();
    }

    /** The harness alone: the same buffers through pipelines that only pass them on, {@value #BATCH} times. */
    @Benchmark
    public int harnessOnly() throws InterruptedException, ExecutionException {
        return loop.submit(harnessBatch).get();
    }

    /**
     * Netty's own HTTP/1.1 codecs and nothing else, {@value #BATCH} times: the client connection's
     * {@code HttpServerCodec} decodes the request and a relay writes its messages to the upstream connection's
     * {@code HttpClientCodec}, which encodes them; the response comes back the same way. No routing, no header
     * rewriting, no access record: the floor of a proxy built on those codecs, to hold {@link #proxyOneRequest}'s
     * allocation against ("no per-request allocations beyond what Netty's codec needs").
     */
    @Benchmark
    public int nettyCodecsOnly() throws InterruptedException, ExecutionException {
        return loop.submit(nettyBatch).get();
    }

    /** Request in, request upstream, response in, response to the client; returns the bytes sent back. */
    private int proxyOne() {
        deliver(client, requestBytes);
        drain(upstream);
        deliver(upstream, responseBytes);
        return drain(client);
    }

    private int nettyOne() {
        deliver(nettyClient, requestBytes);
        drain(nettyUpstream);
        deliver(nettyUpstream, responseBytes);
        return drain(nettyClient);
    }

    private int harnessOne() {
        deliver(harnessClient, requestBytes);
        drain(harnessClient);
        deliver(harnessUpstream, responseBytes);
        return drain(harnessUpstream);
    }

    /** One socket read: a pooled direct buffer holding {@code bytes}, then the end of the read batch. */
    private void deliver(EmbeddedChannel ch, byte[] bytes) {
        ByteBuf buf = alloc.directBuffer(bytes.length).writeBytes(bytes);
        ch.pipeline().fireChannelRead(buf);
        ch.pipeline().fireChannelReadComplete();
    }

    /** Takes and releases what the channel wrote; returns its size in bytes. */
    private static int drain(EmbeddedChannel ch) {
        int n = 0;
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            if (msg instanceof ByteBuf) {
                n += ((ByteBuf) msg).readableBytes();
            }
            ReferenceCountUtil.release(msg);
        }
        return n;
    }

    /** An embedded channel with loopback socket addresses, as the engine expects of a TCP connection. */
    private static final class InetEmbeddedChannel extends EmbeddedChannel {
        private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 18085);
        private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

        InetEmbeddedChannel(io.netty.channel.ChannelHandler... handlers) {
            super(handlers);
        }

        @Override
        protected SocketAddress localAddress0() {
            return LOCAL;
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return REMOTE;
        }
    }

    /** Writes what its channel decoded to another channel, flushing that one at the end of the read batch. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        Channel to;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            to.write(msg, to.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
        }
    }

    /** Writes what it reads to its own channel, flushing at the end of the read batch. */
    private static final class Forward extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel ch = ctx.channel();
            ch.write(msg, ch.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.channel().flush();
        }
    }
}
