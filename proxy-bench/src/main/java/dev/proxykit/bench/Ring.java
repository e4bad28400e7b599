package dev.proxykit.bench;

import dev.proxykit.api.Upstream;
import java.util.List;

/** An element of a circular, doubly linked ring, as Go's {@code container/ring}: a value and links both ways. */
final class Ring {

    final Upstream value;
    Ring next;
    Ring prev;

    private Ring(Upstream value) {
        this.value = value;
    }

    /**
     * A ring of {@code upstreams} in order; returns its first element.
     *
     * @throws IllegalArgumentException if {@code upstreams} is empty (Go's example needs at least one host)
     */
    static Ring of(List<Upstream> upstreams) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("upstreams: [] (expected: at least one)");
        }
        Ring first = new Ring(upstreams.get(0));
        Ring last = first;
        for (int i = 1; i < upstreams.size(); i++) {
            Ring r = new Ring(upstreams.get(i));
            r.prev = last;
            last.next = r;
            last = r;
        }
        last.next = first;
        first.prev = last;
        return first;
    }
}
