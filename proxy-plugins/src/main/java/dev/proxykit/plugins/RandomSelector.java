package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Weighted random choice: upstream {@code i} with probability {@code weight(i) / sum(weights)}, through an
 * {@link AliasTable} built per snapshot, so a pick is O(1): one {@link ThreadLocalRandom} draw and two array reads.
 * No state is shared between threads. Thread-safe, lock-free, allocation-free.
 */
final class RandomSelector extends SnapshotSelector {

    @Override
    Picker build(List<Upstream> live) {
        return new RandomPicker(live.toArray(new Upstream[0]), new AliasTable(Weights.of(live)));
    }

    /** One snapshot and its alias table. */
    static final class RandomPicker implements Picker {

        private final Upstream[] upstreams;
        private final AliasTable table;

        RandomPicker(Upstream[] upstreams, AliasTable table) {
            this.upstreams = upstreams;
            this.table = table;
        }

        @Override
        public Upstream pick(RequestInfo request) {
            return upstreams[table.draw(ThreadLocalRandom.current().nextLong())];
        }
    }
}
