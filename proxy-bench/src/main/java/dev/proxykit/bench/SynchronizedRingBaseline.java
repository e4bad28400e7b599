package dev.proxykit.bench;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;

/**
 * The Go example's mutex-guarded ring with Java's other mutex, {@code synchronized}: a thin lock taken with one CAS,
 * inflated to a monitor under contention, where HotSpot spins adaptively before parking (JDK 17 has no biased
 * locking by default). Go's {@code sync.Mutex} also spins a little, then parks; {@link MutexRingBaseline} is the
 * other analogue. Shown side by side because which one is faster under contention depends on the machine.
 *
 * <p>Thread-safe through the monitor; blocks under contention.
 */
final class SynchronizedRingBaseline implements UpstreamSelector.Picker {

    private Ring current;

    /**
     * @throws IllegalArgumentException if {@code upstreams} is empty
     */
    SynchronizedRingBaseline(List<Upstream> upstreams) {
        this.current = Ring.of(upstreams);
    }

    @Override
    public synchronized Upstream pick(RequestInfo request) {
        Upstream host = current.value;
        current = current.next;
        return host;
    }
}
