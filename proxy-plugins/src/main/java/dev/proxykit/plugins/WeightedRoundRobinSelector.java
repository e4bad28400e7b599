package dev.proxykit.plugins;

import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * nginx's smooth weighted round-robin, precomputed. For each snapshot the picker computes one whole cycle of
 * nginx's algorithm (every upstream adds its weight to its current weight, the largest current weight wins, first in
 * configured order on a tie, and the winner gives back the total), so weights 5, 1, 1 give {@code a a b a c a a}:
 * the heavy upstream's turns are spread out, never in a burst. A pick is then the next entry of that cycle: one
 * atomic increment and an array read, as in {@code round-robin}.
 *
 * <p>The cycle is {@code sum(weights) / gcd(weights)} entries long. When that exceeds {@link #MAX_CYCLE}, the
 * weights are first scaled down proportionally (each at least 1) so that it fits; shares are then exact to within
 * one entry in {@value #MAX_CYCLE} per upstream.
 *
 * <p>The counter belongs to the selector, so the position carries on across snapshots. Thread-safe, lock-free.
 */
final class WeightedRoundRobinSelector extends SnapshotSelector {

    /** The longest cycle built: 64 Ki entries, 256 KiB with compressed references. */
    static final int MAX_CYCLE = 1 << 16;

    private final Sequence next;

    WeightedRoundRobinSelector(Sequence next) {
        this.next = next;
    }

    @Override
    Picker build(List<Upstream> live) {
        return new RoundRobinSelector.CyclePicker(cycle(live), next);
    }

    /** One whole cycle of smooth weighted round-robin over {@code live}. */
    static Upstream[] cycle(List<Upstream> live) {
        long[] weights = fit(Weights.of(live));
        long g = Weights.gcd(weights);
        long total = 0;
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= g;
            total += weights[i];
        }
        Upstream[] cycle = new Upstream[(int) total];
        long[] current = new long[weights.length];
        for (int step = 0; step < cycle.length; step++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            cycle[step] = live.get(best);
        }
        return cycle;
    }

    /** Scales {@code weights} down proportionally, each at least 1, until the reduced cycle fits MAX_CYCLE. */
    private static long[] fit(long[] weights) {
        long[] w = weights;
        while (Weights.sum(w) / Weights.gcd(w) > MAX_CYCLE) {
            if (w.length > MAX_CYCLE / 2) {
                throw new IllegalArgumentException("upstreams: " + w.length + " (expected: at most " + MAX_CYCLE / 2
                        + " for weighted-round-robin)");
            }
            double scale = (double) (MAX_CYCLE - w.length) / Weights.sum(w);
            long[] scaled = new long[w.length];
            for (int i = 0; i < w.length; i++) {
                scaled[i] = Math.max(1, (long) Math.floor(w[i] * scale));
            }
            w = scaled;
        }
        return w;
    }
}
