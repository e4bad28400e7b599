package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * Strict rotation. The counter (a {@link Sequence}) belongs to the selector, so the rotation carries on when a new
 * snapshot replaces the old one; each {@link Picker} holds its snapshot as an array. Thread-safe and lock-free.
 */
final class RoundRobinSelector extends SnapshotSelector {

    private final Sequence next;

    RoundRobinSelector(Sequence next) {
        this.next = next;
    }

    @Override
    Picker build(List<Upstream> live) {
        return new CyclePicker(live.toArray(new Upstream[0]), next);
    }

    /**
     * Walks a precomputed cycle of upstreams: {@link #pick(RequestInfo)} is O(1), allocation-free and lock-free, one
     * atomic increment and an array read. The cycle of {@code round-robin} is the snapshot itself; that of
     * {@code weighted-round-robin} is its smooth weighted sequence.
     */
    static final class CyclePicker implements Picker {

        private final Upstream[] cycle;
        private final Sequence next;

        CyclePicker(Upstream[] cycle, Sequence next) {
            this.cycle = cycle;
            this.next = next;
        }

        @Override
        public Upstream pick(RequestInfo request) {
            Upstream[] c = cycle;
            return c[(int) Math.floorMod(next.next(), (long) c.length)];
        }

        /** The cycle's length, for tests. */
        int length() {
            return cycle.length;
        }
    }
}
