package dev.proxykit.bench;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.plugins.RoundRobinSelectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The {@code round-robin} plugin's {@link UpstreamSelector.Picker#pick} against {@link MutexRingBaseline}, the
 * mutex-guarded ring of the Go example, in the same run. The state is shared by all benchmark threads
 * ({@link Scope#Benchmark}), as one route's picker is shared by all event loops, so {@code -t 2} and {@code -t 4}
 * measure contention on one counter (or one lock).
 *
 * <pre>
 * java -jar proxy-bench/target/benchmarks.jar RoundRobin -f 1 -wi 2 -i 3 -w 1s -r 1s -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoundRobinBenchmark {

    /** How many upstreams the route has. */
    @Param({"3", "100"})
    public int upstreams;

    private UpstreamSelector.Picker roundRobin;
    private UpstreamSelector.Picker mutexRing;

    /** Builds both pickers over the same upstreams, in the same order. */
    @Setup(Level.Trial)
    public void setUp() {
        List<Upstream> live = new ArrayList<>(upstreams);
        for (int i = 0; i < upstreams; i++) {
            live.add(Upstream.parse("http://10.0." + (i / 250) + '.' + (i % 250 + 1) + ':' + (9000 + i)));
        }
        RoundRobinSelectorFactory factory = new RoundRobinSelectorFactory();
        roundRobin = factory.create(new BenchPluginContext(factory.name(), live)).picker(List.copyOf(live));
        mutexRing = new MutexRingBaseline(live);
    }

    /** The lock-free picker: one atomic increment and an array read. */
    @Benchmark
    public void roundRobin(Blackhole blackhole) {
        blackhole.consume(roundRobin.pick(ConstantRequest.INSTANCE));
    }

    /** The Go example's ring under a mutex. */
    @Benchmark
    public void mutexRingBaseline(Blackhole blackhole) {
        blackhole.consume(mutexRing.pick(ConstantRequest.INSTANCE));
    }
}
