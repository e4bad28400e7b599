package dev.proxykit.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.internal.PlatformDependent;

/**
 * Keeps what a connection holds for a slow peer small once direct memory runs short. Bytes wait in user space only
 * while a peer does not take them: at full speed a connection may queue up to {@link Engine#WATER_MARK}'s high mark
 * plus one read of {@link Engine#RECV_BUFFERS} (up to 512 KiB), which is what makes large bodies fast; but a client
 * that stopped reading a large download holds that much for as long as it stays, and a few hundred of them fill the
 * launcher's direct-memory cap (256 MiB: with 1,000 such clients, 182 downloads failed for want of memory,
 * 2026-12-03). Past {@link #FRACTION} of the cap, reads are at most {@link #TIGHT_READ} bytes and a connection
 * whose body piece is forwarded gets the water marks {@link #TIGHT_MARKS}, so a stalled peer holds tens of KiB, as
 * nginx's {@code proxy_buffers} would; below it, connections get their usual marks back with their next body piece.
 *
 * <p>Works where Netty counts its direct memory (the launcher's {@code --add-opens} lets it allocate without the
 * JDK's cleaner and count against {@code -XX:MaxDirectMemorySize}); where it does not, {@link #high()} is false.
 * Every method may be called from any event loop; the check is one read of Netty's counter.
 */
final class MemoryPressure {

    /** The share of the direct-memory cap past which connections buffer less. */
    static final double FRACTION = 0.5;
    /** The largest read while memory is short. */
    static final int TIGHT_READ = 16 * 1024;
    /** The water marks of a connection forwarding a body while memory is short. */
    static final WriteBufferWaterMark TIGHT_MARKS = new WriteBufferWaterMark(8 * 1024, 16 * 1024);

    private static final long LIMIT = limit(PlatformDependent.maxDirectMemory(), FRACTION);

    private MemoryPressure() {
    }

    private static long limit(long max, double fraction) {
        return max <= 0 ? Long.MAX_VALUE : (long) (max * fraction);
    }

    /** Whether direct memory in use is past the limit; false where Netty does not count it. */
    static boolean high() {
        return PlatformDependent.usedDirectMemory() > LIMIT;
    }

    /**
     * Gives {@code ch} the tight water marks while memory is short and its usual ones otherwise; call before
     * writing a body piece to it, so that the write itself is measured against the marks. Changes nothing
     * when the marks are already right.
     */
    static void adjustMarks(Channel ch) {
        ChannelConfig config = ch.config();
        WriteBufferWaterMark wanted = high() ? TIGHT_MARKS : Engine.WATER_MARK;
        if (config.getWriteBufferWaterMark() != wanted) {
            config.setWriteBufferWaterMark(wanted);
        }
    }

    /** Reads sized by {@code allocator}, but at most {@link #TIGHT_READ} bytes while memory is short. */
    static RecvByteBufAllocator reads(RecvByteBufAllocator allocator) {
        return () -> new TightHandle((RecvByteBufAllocator.ExtendedHandle) allocator.newHandle());
    }

    /** Caps the size of a read while memory is short, and leaves the rest to the channel's own handle. */
    private static final class TightHandle extends ForwardingReadHandle {

        TightHandle(RecvByteBufAllocator.ExtendedHandle handle) {
            super(handle);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            if (high()) {
                return alloc.ioBuffer(Math.min(handle.guess(), TIGHT_READ));
            }
            return handle.allocate(alloc);
        }
    }
}
