package dev.proxykit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator.ExtendedHandle;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * A receive handle that passes every call to another; subclasses override what they change ({@link ReadCounter},
 * {@link MemoryPressure}). Ours rather than Netty's {@code DelegatingHandle}: the epoll channel already wraps every
 * handle in a {@code DelegatingHandle}, and sharing that class's call sites with the inner handle made them
 * megamorphic (interface-dispatch stubs on every read, 0.7 % of the CPU of small requests, async-profiler).
 */
abstract class ForwardingReadHandle implements ExtendedHandle {

    final ExtendedHandle handle;

    ForwardingReadHandle(ExtendedHandle handle) {
        this.handle = handle;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
        return handle.allocate(alloc);
    }

    @Override
    public int guess() {
        return handle.guess();
    }

    @Override
    public void reset(ChannelConfig config) {
        handle.reset(config);
    }

    @Override
    public void incMessagesRead(int numMessages) {
        handle.incMessagesRead(numMessages);
    }

    @Override
    public void lastBytesRead(int bytes) {
        handle.lastBytesRead(bytes);
    }

    @Override
    public int lastBytesRead() {
        return handle.lastBytesRead();
    }

    @Override
    public void attemptedBytesRead(int bytes) {
        handle.attemptedBytesRead(bytes);
    }

    @Override
    public int attemptedBytesRead() {
        return handle.attemptedBytesRead();
    }

    @Override
    public boolean continueReading() {
        return handle.continueReading();
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
        return handle.continueReading(maybeMoreDataSupplier);
    }

    @Override
    public void readComplete() {
        handle.readComplete();
    }
}
