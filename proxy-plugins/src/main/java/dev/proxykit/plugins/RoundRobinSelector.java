package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Strict rotation. The counter belongs to the selector, so the rotation carries on when a new snapshot replaces
 * the old one; each {@link Picker} holds its snapshot as an array. Thread-safe and lock-free.
 */
final class RoundRobinSelector implements UpstreamSelector {

    private static final Picker EMPTY = request -> null;

    /** The number of picks made so far over all snapshots; a long does not wrap in practice. */
    private final AtomicLong next = new AtomicLong();

    @Override
    public Picker picker(List<Upstream> live) {
        Objects.requireNonNull(live, "live");
        if (live.isEmpty()) {
            return EMPTY;
        }
        return new RoundRobinPicker(live.toArray(new Upstream[0]), next);
    }

    /** One snapshot. {@link #pick(RequestInfo)} is O(1), allocation-free, lock-free: one atomic increment. */
    static final class RoundRobinPicker implements Picker {

        private final Upstream[] upstreams;
        private final AtomicLong next;

        RoundRobinPicker(Upstream[] upstreams, AtomicLong next) {
            this.upstreams = upstreams;
            this.next = next;
        }

        @Override
        public Upstream pick(RequestInfo request) {
            Upstream[] all = upstreams;
            return all[Math.floorMod(next.getAndIncrement(), all.length)];
        }
    }
}
