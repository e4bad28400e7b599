package dev.proxykit.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.function.UnaryOperator;

/**
 * An {@link IoHandler} that passes every call to another; subclasses override what they change. Confined to the
 * event loop that runs it, like the handler it wraps.
 */
abstract class ForwardingIoHandler implements IoHandler {

    protected final IoHandler handler;

    ForwardingIoHandler(IoHandler handler) {
        this.handler = handler;
    }

    /** {@code factory}, with each handler it makes wrapped by {@code wrapper}. */
    static IoHandlerFactory wrap(IoHandlerFactory factory, UnaryOperator<IoHandler> wrapper) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return wrapper.apply(factory.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return factory.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        handler.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return handler.run(context);
    }

    @Override
    public void prepareToDestroy() {
        handler.prepareToDestroy();
    }

    @Override
    public void destroy() {
        handler.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return handler.register(handle);
    }

    @Override
    public void wakeup() {
        handler.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return handler.isCompatible(handleType);
    }
}
