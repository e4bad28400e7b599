package dev.proxykit.netty;

import io.netty.channel.Channel;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.EpollSocketChannel;

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

    /** Counts, and leaves the rest to the channel's own handle. */
    private final class Counting extends ForwardingReadHandle {

        Counting(ExtendedHandle handle) {
            super(handle);
        }

        @Override
        public void lastBytesRead(int n) {
            if (n > 0) {
                bytes += n;
            }
            handle.lastBytesRead(n);
        }
    }
}
