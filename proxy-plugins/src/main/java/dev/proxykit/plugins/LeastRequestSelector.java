package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Least request by the power of {@code choices} random choices (Envoy's {@code LEAST_REQUEST}, after Mitzenmacher):
 * draw {@code choices} candidates and take the one with the fewest requests in flight relative to its weight, the
 * smallest {@code inflight / weight}; on a tie the first drawn stays. With equal weights the candidates are drawn
 * uniformly and the first two are always distinct; with unequal weights they are drawn in proportion to weight
 * (alias method). Weight thus counts once when nothing is in flight, where the first draw decides and each upstream
 * gets its weight's share (2:1 gives 2:1, as weighted round-robin would), and again under load, where the counts
 * settle in proportion to weight. (Comparing {@code (inflight + 1) / weight}, Envoy's active request bias of 1,
 * on top of drawing by weight, gave a weight-2 upstream 96 % of the requests of a lightly loaded 2:1 pair.)
 *
 * <p>In-flight counts: a pick counts one for the chosen upstream; {@link Picker#onComplete(Upstream)}, which the
 * engine calls exactly once per pick when the attempt ends, takes it back. The counters belong to the selector,
 * keyed by upstream URL, so they carry over from snapshot to snapshot (an attempt started on an old snapshot ends
 * on the same counter). Each counter sits on its own cache line.
 *
 * <p>Thread-safe and lock-free; a pick is O(choices) and allocation-free.
 */
final class LeastRequestSelector extends SnapshotSelector {

    private final int choices;
    private final Map<String, InFlight> counters = new ConcurrentHashMap<>();

    LeastRequestSelector(int choices) {
        this.choices = choices;
    }

    @Override
    Picker build(List<Upstream> live) {
        Upstream[] upstreams = live.toArray(new Upstream[0]);
        InFlight[] inflight = new InFlight[upstreams.length];
        Map<Upstream, InFlight> byInstance = new IdentityHashMap<>();
        for (int i = 0; i < upstreams.length; i++) {
            inflight[i] = counters.computeIfAbsent(upstreams[i].toString(), k -> new InFlight());
            byInstance.put(upstreams[i], inflight[i]);
        }
        AliasTable weighted = Weights.allEqual(live) ? null : new AliasTable(Weights.of(live));
        return new LeastRequestPicker(upstreams, inflight, byInstance, weighted, choices, counters);
    }

    /** The requests in flight to one upstream URL, on a cache line of its own. */
    static final class InFlight extends PaddedCounter {
    }

    /** One snapshot. */
    static final class LeastRequestPicker implements Picker {

        private final Upstream[] upstreams;
        private final InFlight[] inflight;
        private final Map<Upstream, InFlight> byInstance;
        private final AliasTable weighted;
        private final int choices;
        private final Map<String, InFlight> byUrl;

        LeastRequestPicker(Upstream[] upstreams, InFlight[] inflight, Map<Upstream, InFlight> byInstance,
                           AliasTable weighted, int choices, Map<String, InFlight> byUrl) {
            this.upstreams = upstreams;
            this.inflight = inflight;
            this.byInstance = byInstance;
            this.weighted = weighted;
            this.choices = choices;
            this.byUrl = byUrl;
        }

        @Override
        public Upstream pick(RequestInfo request) {
            int n = upstreams.length;
            int best;
            if (n == 1) {
                best = 0;
            } else {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                best = draw(random, n);
                for (int c = 1; c < choices; c++) {
                    int candidate = draw(random, n);
                    if (candidate == best) {
                        candidate = weighted == null ? (best + 1 + random.nextInt(n - 1)) % n : draw(random, n);
                    }
                    if (lessLoaded(candidate, best)) {
                        best = candidate;
                    }
                }
            }
            inflight[best].getAndAdd(1);
            return upstreams[best];
        }

        private int draw(ThreadLocalRandom random, int n) {
            return weighted == null ? random.nextInt(n) : weighted.draw(random.nextLong());
        }

        /** Whether {@code inflight(a) / weight(a) < inflight(b) / weight(b)}, without division. */
        private boolean lessLoaded(int a, int b) {
            long loadA = Math.max(0, inflight[a].get());
            long loadB = Math.max(0, inflight[b].get());
            return loadA * upstreams[b].weight() < loadB * upstreams[a].weight();
        }

        @Override
        public void onComplete(Upstream upstream) {
            InFlight counter = byInstance.get(upstream);
            if (counter == null) {
                counter = byUrl.get(upstream.toString());
            }
            if (counter != null) {
                counter.getAndAdd(-1);
            }
        }

        /** The count for the upstream at {@code index}, for tests. */
        long inflight(int index) {
            return inflight[index].get();
        }
    }
}
