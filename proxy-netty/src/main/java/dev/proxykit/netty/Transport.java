package dev.proxykit.netty;

import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O transport, chosen once at start: epoll when available (or asked for), io_uring only when asked for and
 * available, NIO otherwise. Holds the matching channel classes, so server, upstream and DNS channels all agree.
 */
public final class Transport {

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    private final String name;
    private final IoHandlerFactory ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannel;
    private final Class<? extends SocketChannel> socketChannel;
    private final Class<? extends DatagramChannel> datagramChannel;

    private Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> serverChannel,
                      Class<? extends SocketChannel> socketChannel, Class<? extends DatagramChannel> datagramChannel) {
        this.name = name;
        this.ioHandlerFactory = factory;
        this.serverChannel = serverChannel;
        this.socketChannel = socketChannel;
        this.datagramChannel = datagramChannel;
    }

    /**
     * Chooses the transport for {@code kind}. When the one asked for is unavailable, says why and falls back to the
     * best available one (epoll, then NIO).
     */
    public static Transport choose(TransportKind kind) {
        if (kind == TransportKind.IO_URING) {
            if (IoUring.isAvailable()) {
                return ioUring();
            }
            LOG.warn("transport io_uring was asked for but is unavailable ({}); falling back",
                    String.valueOf(IoUring.unavailabilityCause()));
        }
        if (kind == TransportKind.NIO) {
            return nio();
        }
        if (Epoll.isAvailable()) {
            return epoll();
        }
        if (kind == TransportKind.EPOLL) {
            LOG.warn("transport epoll was asked for but is unavailable ({}); using nio",
                    String.valueOf(Epoll.unavailabilityCause()));
        }
        return nio();
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollReregistration.wrap(EpollIoHandler.newFactory()),
                EpollServerSocketChannel.class, EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                IoUringSocketChannel.class, IoUringDatagramChannel.class);
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class);
    }

    /**
     * A new event-loop group of {@code threads} threads named {@code proxykit-<name>-N}, each reading its
     * {@link LoopClock} once per turn.
     */
    public MultiThreadIoEventLoopGroup newGroup(int threads, String threadName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("proxykit-" + threadName),
                LoopClock.wrap(ioHandlerFactory));
    }

    /** {@code epoll}, {@code io_uring} or {@code nio}. */
    public String name() {
        return name;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return serverChannel;
    }

    public Class<? extends SocketChannel> socketChannel() {
        return socketChannel;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }

    @Override
    public String toString() {
        return name;
    }
}
