package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.runtime.config.ProxySettings.TransportKind;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoopClockTest {

    /** Spins until the system clock moved by {@code millis}. */
    private static void passMillis(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    @Test
    void offTheEventLoopsEveryReadIsFresh() {
        LoopClock clock = LoopClock.current();
        long nanos = clock.nanoTime();
        long millis = clock.epochMillis();
        passMillis(3);
        assertTrue(clock.nanoTime() - nanos >= TimeUnit.MILLISECONDS.toNanos(3));
        assertTrue(clock.epochMillis() > millis);
    }

    @Test
    void anEventLoopReadsTheClockOncePerTurnAndAgainInTheNext() throws Exception {
        for (TransportKind kind : new TransportKind[] {TransportKind.EPOLL, TransportKind.NIO}) {
            MultiThreadIoEventLoopGroup group = Transport.choose(kind).newGroup(1, "clock-test");
            try {
                EventLoop loop = group.next();
                long[] sameTurn = loop.submit(() -> {
                    LoopClock clock = LoopClock.current();
                    long nanos = clock.nanoTime();
                    long millis = clock.epochMillis();
                    passMillis(3);
                    return new long[] {nanos, clock.nanoTime(), millis, clock.epochMillis()};
                }).get(10, TimeUnit.SECONDS);
                assertEquals(sameTurn[0], sameTurn[1], kind + ": one turn, one reading");
                assertEquals(sameTurn[2], sameTurn[3], kind + ": one turn, one wall-clock reading");

                // a task scheduled 5 ms later runs after the loop waited for I/O: a new turn reads the clock again
                long later = loop.schedule(() -> LoopClock.current().nanoTime(), 5, TimeUnit.MILLISECONDS)
                        .get(10, TimeUnit.SECONDS);
                assertTrue(later - sameTurn[1] >= TimeUnit.MILLISECONDS.toNanos(5),
                        kind + ": the next turn's time is fresh, " + (later - sameTurn[1]) + " ns later");
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }
}
