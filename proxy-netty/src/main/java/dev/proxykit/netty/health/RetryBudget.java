package dev.proxykit.netty.health;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * A retry budget in the manner of Finagle's {@code RetryBudget} and Envoy's {@code retry_budget}: over a sliding
 * window, retries may be at most {@code percent} of the requests, but {@code minPerSecond * window} retries are
 * always allowed. When every upstream fails, clients then see the failures instead of the proxy multiplying its
 * load on the upstreams by the number of attempts.
 *
 * <p>The window is ten slices; each slice counts requests and retries in {@link LongAdder}s, so counting a request on
 * the hot path is one uncontended add. A slice is reset lazily when time comes back round to it. The budget is
 * approximate under concurrency (two threads may both take the last retry), which is what a budget is for.
 *
 * <p>Thread-safe and lock-free; never blocks.
 */
public final class RetryBudget {

    private static final int SLICES = 10;

    private final int percent;
    private final long minRetries;
    private final long sliceNanos;
    private final LongSupplier clock;
    private final LongAdder[] requests = new LongAdder[SLICES];
    private final LongAdder[] retries = new LongAdder[SLICES];
    /** Which slice number (time / sliceNanos) each slot currently counts. */
    private final AtomicLongArray epochs = new AtomicLongArray(SLICES);

    /**
     * @param percent      retries allowed per 100 requests in the window, 0 to 100
     * @param minPerSecond retries allowed per second of the window whatever the traffic
     * @param window       the window, positive
     */
    public RetryBudget(int percent, int minPerSecond, Duration window) {
        this(percent, minPerSecond, window, System::nanoTime);
    }

    /**
     * As {@link #RetryBudget(int, int, Duration)}, with a clock in nanoseconds (the proxy passes its event loops'
     * clock, read once per turn; tests a fake one).
     */
    public RetryBudget(int percent, int minPerSecond, Duration window, LongSupplier clock) {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("percent: " + percent + " (expected: 0 to 100)");
        }
        if (minPerSecond < 0) {
            throw new IllegalArgumentException("minPerSecond: " + minPerSecond + " (expected: >= 0)");
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window: " + window + " (expected: > 0)");
        }
        this.percent = percent;
        this.minRetries = (long) Math.ceil(minPerSecond * (window.toNanos() / 1e9));
        this.sliceNanos = Math.max(1, window.toNanos() / SLICES);
        this.clock = Objects.requireNonNull(clock, "clock");
        for (int i = 0; i < SLICES; i++) {
            requests[i] = new LongAdder();
            retries[i] = new LongAdder();
            epochs.set(i, Long.MIN_VALUE);
        }
    }

    /** Counts one request (its first attempt). Hot path: one add. */
    public void onRequest() {
        requests[current()].increment();
    }

    /** Takes one retry from the budget: true (and counted) when the window has room for it, else false. */
    public boolean tryRetry() {
        long now = clock.getAsLong() / sliceNanos;
        int slot = current();
        long reqs = 0;
        long rets = 0;
        for (int i = 0; i < SLICES; i++) {
            long epoch = epochs.get(i);
            if (epoch != Long.MIN_VALUE && now - epoch < SLICES) {
                reqs += requests[i].sum();
                rets += retries[i].sum();
            }
        }
        if (rets >= Math.max(minRetries, reqs * percent / 100)) {
            return false;
        }
        retries[slot].increment();
        return true;
    }

    /** The slot of the current slice, reset first if it last counted an older slice. */
    private int current() {
        long epoch = clock.getAsLong() / sliceNanos;
        int slot = (int) Math.floorMod(epoch, (long) SLICES);
        long seen = epochs.get(slot);
        if (seen < epoch && epochs.compareAndSet(slot, seen, epoch)) {
            requests[slot].reset();
            retries[slot].reset();
        }
        return slot;
    }
}
