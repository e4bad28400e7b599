package dev.proxykit.api;

import java.util.List;

/**
 * Chooses the upstream for each request of one route: a load-balancing policy.
 *
 * <p>A selector works on immutable snapshots. Whenever the route's set of live upstreams changes (at start, when
 * an upstream is ejected or comes back, when weights change), the proxy calls {@link #picker(List)} off the event
 * loops and publishes the returned {@link Picker}; every request then calls {@link Picker#pick(RequestInfo)} on the
 * current one. State that must survive a change (a rotation counter, say) lives in the selector.
 *
 * <p>Created per route by an {@link UpstreamSelectorFactory}.
 */
public interface UpstreamSelector {

    /**
     * Builds the picker for one snapshot of live upstreams. Never called on an event loop; may allocate and
     * precompute (tables, cumulative weights), and should be quick (milliseconds).
     *
     * @param live the live upstreams in configured order; immutable; possibly empty
     * @return the picker for this snapshot, never {@code null}
     */
    Picker picker(List<Upstream> live);

    /**
     * Picks an upstream from one immutable snapshot.
     *
     * <p><b>Hot path.</b> Called on event loops, concurrently: must be thread-safe, lock-free and non-blocking, and
     * should be O(1) or O(log n) and allocation-free.
     */
    @FunctionalInterface
    interface Picker {

        /**
         * Returns one of the snapshot's upstreams for {@code request}, or {@code null} when there is none (the client
         * then gets 503).
         */
        Upstream pick(RequestInfo request);
    }
}
