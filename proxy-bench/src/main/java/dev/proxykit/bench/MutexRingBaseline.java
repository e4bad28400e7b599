package dev.proxykit.bench;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The round-robin director of the Go write-up, in Java: the upstreams sit in a circular, doubly linked ring (Go's
 * {@code container/ring}) and every pick takes a mutex, reads the current element and advances the ring by one
 * ({@code mu.Lock(); host := r.Value; r = r.Next(); mu.Unlock()}). A non-fair {@link ReentrantLock} stands for
 * Go's {@code sync.Mutex} (both spin briefly, then park). This is the baseline the lock-free picker must beat.
 *
 * <p>Thread-safe through the lock; blocks under contention, which is exactly what it is here to show.
 */
final class MutexRingBaseline implements UpstreamSelector.Picker {

    /** An element of the ring, as in {@code container/ring}: a value and links both ways. */
    private static final class Ring {
        final Upstream value;
        Ring next;
        Ring prev;

        Ring(Upstream value) {
            this.value = value;
        }
    }

    private final ReentrantLock mu = new ReentrantLock();
    private Ring current;

    /**
     * Builds the ring in the order of {@code upstreams}.
     *
     * @throws IllegalArgumentException if {@code upstreams} is empty (Go's example needs at least one host)
     */
    MutexRingBaseline(List<Upstream> upstreams) {
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
        this.current = first;
    }

    @Override
    public Upstream pick(RequestInfo request) {
        mu.lock();
        try {
            Upstream host = current.value;
            current = current.next;
            return host;
        } finally {
            mu.unlock();
        }
    }
}
