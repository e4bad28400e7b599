package dev.proxykit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Counts the bytes an epoll connection reads from its socket, however it reads them: into buffers, or spliced into a
 * pipe by {@code splice(2)}, which never reaches the pipeline but reports every splice to the channel's receive
 * handle as bytes read (see {@code AbstractEpollStreamChannel.SpliceInTask}). So a spliced tunnel's access log
 * counts exactly what a copying one would. Wraps the channel's own allocator and changes nothing else.
 *
 * <p>Install while building the pipeline, before the first read: the channel makes its handle once, at its first
 * read. {@link #bytes()} is read on the channel's event loop only.
 */
final class ReadCounter implements RecvByteBufAllocator {

    private final RecvByteBufAllocator allocator;
    private long bytes;

    private ReadCounter(RecvByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /** Counts the reads of {@code ch} from now on if it is an epoll socket (only those can splice); else nothing. */
    static void install(Channel ch) {
        if (ch instanceof EpollSocketChannel) {
            ch.config().setRecvByteBufAllocator(new ReadCounter(ch.config().getRecvByteBufAllocator()));
        }
    }

    /** The counter installed on {@code ch}, or {@code null}. */
    static ReadCounter of(Channel ch) {
        return ch.config().getRecvByteBufAllocator() instanceof ReadCounter r ? r : null;
    }

    /** Bytes read from the socket since {@link #install}. */
    long bytes() {
        return bytes;
    }

    @Override
    public Handle newHandle() {
        return new Counting((ExtendedHandle) allocator.newHandle());
    }

    /**
     * Delegates by itself instead of extending {@code DelegatingHandle}: the epoll channel already wraps every handle
     * in a {@code DelegatingHandle}, and sharing that class's call sites with the inner handle made them megamorphic
     * (interface-dispatch stubs on every read, 0.7 % of the CPU of small requests, async-profiler).
     */
    private final class Counting implements ExtendedHandle {

        private final ExtendedHandle handle;

        Counting(ExtendedHandle handle) {
            this.handle = handle;
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
            }
            handle.lastBytesRead(n);
        }

        @Override
        public int lastBytesRead() {
            return handle.lastBytesRead();
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
        public void attemptedBytesRead(int n) {
            handle.attemptedBytesRead(n);
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
}
