package dev.proxykit.netty;

import dev.proxykit.api.Upstream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The health of one upstream of one route. Two kinds of fields:
 * <ul>
 *   <li>the two atomics, which event loops touch at the end of attempts ({@link #consecutiveFailures},
 *       {@link #ejectionQueued});</li>
 *   <li>plain fields, owned by the engine's health loop: only it reads or writes them.</li>
 * </ul>
 */
final class HostState {

    /** Weight multiples offered during slow start: index k holds the upstream with k times its weight. */
    static final int RAMP_SCALE = 10;

    final UpstreamTarget target;
    /** {@code weighted[k]} is the upstream with {@code k} times its weight (capped), for k = 1..RAMP_SCALE. */
    final Upstream[] weighted;

    /** Failed attempts in a row (passive health); a success resets it. Written by event loops. */
    final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** Whether an ejection decision is queued on the health loop, so a burst of failures queues only one. */
    final AtomicBoolean ejectionQueued = new AtomicBoolean();

    // ---- health loop only
    boolean ejected;
    /** Whether "stays in: max-ejection-percent" was logged since the ejections last changed: once, not per burst. */
    boolean keptInLogged;
    int ejections;
    long ejectionEndedNanos;
    boolean activeDown;
    int activePasses;
    int activeFailures;
    /** When slow start began, or {@link Long#MIN_VALUE} when the host is not ramping. */
    long rampStartNanos = Long.MIN_VALUE;

    HostState(UpstreamTarget target) {
        this.target = target;
        Upstream u = target.upstream;
        this.weighted = new Upstream[RAMP_SCALE + 1];
        weighted[1] = u;
        for (int k = 2; k <= RAMP_SCALE; k++) {
            weighted[k] = u.withWeight((int) Math.min(Upstream.MAX_WEIGHT, (long) u.weight() * k));
        }
    }

    /** Whether requests may go to this host (health loop only). */
    boolean live() {
        return !ejected && !activeDown;
    }

    @Override
    public String toString() {
        return target.toString();
    }
}
