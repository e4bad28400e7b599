package dev.proxykit.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Works around a bug of Netty 4.2.18's epoll transport. When a channel's interest set becomes empty, its
 * registration removes the socket from epoll ({@code EPOLL_CTL_DEL}) but goes on believing it is added, so the next
 * interest, EPOLLIN to read again or EPOLLOUT to finish a write, fails with {@code ENOENT} and Netty closes the
 * channel. A socket gets there after its peer's FIN (Netty then drops EPOLLRDHUP) while it does not read: a
 * half-closed tunnel whose other direction then writes more than the socket buffers hold was torn down. Here such a
 * registration registers its channel anew instead ({@code EPOLL_CTL_ADD}); every other call goes to Netty as it is.
 * Confined to each event loop, like the registrations it wraps.
 */
final class EpollReregistration {

    private EpollReregistration() {
    }

    /** {@code factory} (epoll's), with every registration its handlers make wrapped as described above. */
    static IoHandlerFactory wrap(IoHandlerFactory factory) {
        return ForwardingIoHandler.wrap(factory, Handler::new);
    }

    private static final class Handler extends ForwardingIoHandler {
        Handler(IoHandler handler) {
            super(handler);
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return new Registration(handler, handle, handler.register(handle));
        }
    }

    private static final class Registration implements IoRegistration {
        private final IoHandler handler;
        private final IoHandle handle;
        private IoRegistration registration;
        /** Netty removed the socket from epoll when its interest set became empty. */
        private boolean removed;

        Registration(IoHandler handler, IoHandle handle, IoRegistration registration) {
            this.handler = handler;
            this.handle = handle;
            this.registration = registration;
        }

        @Override
        public <T> T attachment() {
            return registration.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            boolean none = ((EpollIoOps) ops).value() == 0;
            if (removed && !none && registration.isValid()) {
                registration.cancel(); // forgets the socket (its EPOLL_CTL_DEL fails quietly: it is gone already)
                try {
                    registration = handler.register(handle);
                } catch (Exception e) {
                    throw new IllegalStateException("cannot register " + handle + " with epoll again", e);
                }
                removed = false;
            }
            long result = registration.submit(ops);
            removed = none && registration.isValid();
            return result;
        }

        @Override
        public boolean isValid() {
            return registration.isValid();
        }

        @Override
        public boolean cancel() {
            removed = false;
            return registration.cancel();
        }
    }
}
