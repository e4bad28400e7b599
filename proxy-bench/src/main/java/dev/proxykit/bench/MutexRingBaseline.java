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
 * Go's {@code sync.Mutex}: both let a running thread barge in, spin briefly, then park the losers. This is the
 * baseline the lock-free pickers are measured against; {@link SynchronizedRingBaseline} is the other analogue.
 *
 * <p>Thread-safe through the lock; blocks under contention, which is exactly what it is here to show.
 */
final class MutexRingBaseline implements UpstreamSelector.Picker {

    private final ReentrantLock mu = new ReentrantLock();
    private Ring current;

    /**
     * Builds the ring in the order of {@code upstreams}.
     *
     * @throws IllegalArgumentException if {@code upstreams} is empty (Go's example needs at least one host)
     */
    MutexRingBaseline(List<Upstream> upstreams) {
        this.current = Ring.of(upstreams);
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
