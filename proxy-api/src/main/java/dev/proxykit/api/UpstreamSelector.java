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
 * <p>The live set never holds an upstream marked down (ejected after failures, or failing its active health check)
 * while another is live; when every upstream is down, it holds all of them (the engine then tries them anyway, as
 * nginx and Envoy do). An upstream's {@link Upstream#weight()} in the live set is its <em>effective</em> weight:
 * during slow start the engine scales the weights of a whole snapshot (by at most 10) so that a recovering host can
 * get a share smaller than its configured one, so policies should use weights only relative to each other. The
 * engine maps whatever instance a picker returns back to the configured upstream with the same URL.
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

        /**
         * Tells this picker that the attempt which used {@code upstream} is over, so a policy that tracks load (such
         * as {@code least-request}, which counts requests in flight per upstream) can account for it. The default
         * does nothing.
         *
         * <p><b>Contract.</b> For every non-{@code null} upstream that {@link #pick(RequestInfo)} returned, the
         * engine calls this method exactly once, on the same picker instance (even if a newer snapshot has been
         * published since), with the same {@code Upstream} instance, when the attempt that used it ends: its
         * response was relayed completely, it failed, the client went away, the exchange moved on to another
         * upstream (a retry), or the engine decided not to use the pick after all. An upstream a policy never
         * returned is never passed here. Between {@code pick} and this call, the upstream counts as in flight.
         *
         * <p><b>Hot path.</b> Called on event loops, concurrently: thread-safe, lock-free, non-blocking,
         * allocation-free. It must not throw.
         *
         * @param upstream what {@link #pick(RequestInfo)} returned for the attempt that ended
         */
        default void onComplete(Upstream upstream) {
        }
    }
}
