package dev.proxykit.bench;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The first {@code round-robin} picker (before padding): a plain {@link AtomicLong} allocated next to whatever the
 * heap put beside it, {@code getAndIncrement} and an array read. Kept in the benchmark to show what padding the
 * counter onto its own cache line changes. Thread-safe, lock-free.
 */
final class UnpaddedAtomicPicker implements UpstreamSelector.Picker {

    private final Upstream[] upstreams;
    private final AtomicLong next = new AtomicLong();

    UnpaddedAtomicPicker(List<Upstream> live) {
        this.upstreams = live.toArray(new Upstream[0]);
    }

    @Override
    public Upstream pick(RequestInfo request) {
        Upstream[] all = upstreams;
        return all[(int) Math.floorMod(next.getAndIncrement(), (long) all.length)];
    }
}
