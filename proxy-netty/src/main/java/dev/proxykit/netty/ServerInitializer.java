package dev.proxykit.netty;

import dev.proxykit.netty.http1.Http1Decoder;
import dev.proxykit.netty.http1.Http1Encoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The one place that builds a client connection's pipeline: encoder, strict decoder, frontend; and, when tunnels
 * may splice, the connection's {@link ReadCounter}.
 */
final class ServerInitializer extends ChannelInitializer<Channel> {

    private final Engine engine;

    ServerInitializer(Engine engine) {
        this.engine = engine;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (engine.tunnelSplice) {
            ReadCounter.install(ch);
        }
        ch.pipeline().addLast("encoder", new Http1Encoder());
        ch.pipeline().addLast("decoder",
                Http1Decoder.forRequests(engine.maxRequestLine, engine.maxRequestHead, engine.maxRequestBody));
        ch.pipeline().addLast("frontend", new FrontendHandler(engine, "http"));
    }
}
