package dev.proxykit.netty;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.FastThreadLocal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The time as an event loop sees it: read from the system clock once per turn of the loop (once per batch of ready
 * sockets, and once per batch of tasks), like nginx's cached time ({@code ngx_time_update} after each
 * {@code epoll_wait}) and Envoy's {@code approximateMonotonicTime()}. An exchange used to read the clock about ten
 * times (start, upstream acquired, connected, request sent, response head, response end, access record, pool
 * release, retry budget, idle timer); with 64 connections per turn that is now one read for dozens of requests.
 * What it costs: a time is late by at most the work done earlier in the same turn, a few milliseconds under heavy
 * load, which the access log's durations (milliseconds) and the timeouts (seconds) do not notice.
 *
 * <p>Only loops made by {@link #wrap(IoHandlerFactory)} cache; on any other thread (tests driving an
 * {@code EmbeddedChannel}, start-up) every call reads the system clock. A clock belongs to one thread: get it with
 * {@link #current()} on the thread that will use it.
 */
final class LoopClock {

    private static final FastThreadLocal<LoopClock> CLOCKS = new FastThreadLocal<>() {
        @Override
        protected LoopClock initialValue() {
            return new LoopClock();
        }
    };

    /** HTTP's date format, IMF-fixdate (RFC 9110 5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    /** Whether the loop of this thread starts a new turn of the clock at each turn (set by {@link #wrap}). */
    private boolean perTurn;
    private boolean nanosRead;
    private boolean millisRead;
    private long nanos;
    private long millis;
    private long dateSecond = Long.MIN_VALUE;
    private String date;

    private LoopClock() {
    }

    /** The calling thread's clock. */
    static LoopClock current() {
        return CLOCKS.get();
    }

    /** {@link #nanoTime()} of the calling thread's clock: for code shared by the loops (a route's retry budget). */
    static long currentNanoTime() {
        return CLOCKS.get().nanoTime();
    }

    /** {@link System#nanoTime()} as of this turn of the loop. */
    long nanoTime() {
        if (!nanosRead) {
            nanos = System.nanoTime();
            nanosRead = perTurn;
        }
        return nanos;
    }

    /** {@link System#currentTimeMillis()} as of this turn of the loop. */
    long epochMillis() {
        if (!millisRead) {
            millis = System.currentTimeMillis();
            millisRead = perTurn;
        }
        return millis;
    }

    /** {@link #epochMillis()} as an HTTP {@code Date} value, made once per second. */
    String httpDate() {
        long second = Math.floorDiv(epochMillis(), 1000);
        if (second != dateSecond) {
            date = HTTP_DATE.format(Instant.ofEpochSecond(second));
            dateSecond = second;
        }
        return date;
    }

    private void newTurn() {
        nanosRead = false;
        millisRead = false;
    }

    /** {@code factory}, with each of its loops reading this clock once per turn. */
    static IoHandlerFactory wrap(IoHandlerFactory factory) {
        return ForwardingIoHandler.wrap(factory, Turns::new);
    }

    /**
     * Starts a new turn of the clock before and after each run of the I/O handler (which waits for ready sockets
     * and handles them); the loop runs its tasks after it, in a turn of their own.
     */
    private static final class Turns extends ForwardingIoHandler {
        private LoopClock clock;

        Turns(IoHandler handler) {
            super(handler);
        }

        @Override
        public void initialize() {
            clock = current(); // on the loop's thread
            clock.perTurn = true;
            clock.newTurn();
            handler.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            LoopClock c = clock;
            c.newTurn(); // the wait may be long: the time is read again after it
            try {
                return handler.run(context);
            } finally {
                c.newTurn();
            }
        }

        @Override
        public void destroy() {
            clock.perTurn = false;
            clock.newTurn();
            handler.destroy();
        }
    }
}
