package dev.proxykit.plugins;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The position counter of a rotating selector ({@code round-robin}, {@code weighted-round-robin}). It belongs to the
 * selector, so a rotation carries on when a new snapshot replaces the old one. Thread-safe, lock-free and
 * allocation-free.
 *
 * <p>Two kinds, chosen by a selector's {@code rotation} setting:
 * <ul>
 *   <li>{@link #global()}: one counter for every thread; the k-th pick of the route, counted across all event
 *       loops, gets position k. Strict rotation, at the price of one shared cache line that every pick writes, so
 *       picks on different cores contend for it.</li>
 *   <li>{@link #perThread()}: one counter per thread (in the proxy, per event loop), like Envoy's worker-local load
 *       balancers. Rotation is strict per event loop; each loop's counter starts at a different offset, so traffic
 *       is spread evenly over time, but two requests served by two loops at the same moment may go to the same
 *       upstream. No cache line is shared between loops.</li>
 * </ul>
 */
interface Sequence {

    /** Returns the next position. Positions do not wrap in practice (a long). */
    long next();

    /** One counter shared by all threads. */
    static Sequence global() {
        return new Global();
    }

    /** One counter per thread (striped by thread id over padded slots). */
    static Sequence perThread() {
        return new PerThread();
    }

    /** A single counter on a cache line of its own: a pick is one {@code lock xadd}. */
    final class Global extends PaddedCounter implements Sequence {
        @Override
        public long next() {
            return getAndAdd(1L);
        }
    }

    /**
     * Counters striped by thread id, each on its own 128-byte stretch, each advanced by the thread that owns it with
     * plain (opaque) loads and stores: no {@code lock}-prefixed instruction and no cache line shared with another
     * thread, so a pick costs what an array read does. Event-loop threads get consecutive ids, so up to
     * {@link #STRIPES} loops never share a counter. Threads whose ids collide do share one, without atomicity: two
     * of their picks may then get the same position (one upstream chosen twice in a row), which skews a rotation
     * by one step but never breaks a pick. Slot {@code s} starts at {@code s}, so the loops do not all begin with
     * the first upstream.
     */
    final class PerThread implements Sequence {
        static final int STRIPES = 64;
        private static final int SPACING = 16; // longs: 128 bytes, against adjacent-line prefetch too
        private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

        private final long[] slots = new long[(STRIPES + 1) * SPACING];

        PerThread() {
            for (int s = 0; s < STRIPES; s++) {
                slots[(s + 1) * SPACING] = s;
            }
        }

        @Override
        public long next() {
            int i = (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * SPACING;
            long n = (long) SLOT.getOpaque(slots, i);
            SLOT.setOpaque(slots, i, n + 1);
            return n;
        }
    }
}
