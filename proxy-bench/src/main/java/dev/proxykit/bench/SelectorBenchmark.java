package dev.proxykit.bench;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
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

/**
 * One pick of every selector plugin, and of the Go example's mutex-guarded ring, in the same run: the picker is
 * built by the plugin's factory (found with {@link ServiceLoader}, as the proxy finds it) over {@code upstreams}
 * upstreams, and shared by all benchmark threads ({@link Scope#Benchmark}), as one route's picker is shared by all
 * event loops, so {@code -t 2} and {@code -t 4} measure what the policy shares between threads. Each operation is
 * {@code pick} then {@code onComplete}, as the engine calls them (only {@code least-request} does work in the
 * latter).
 *
 * <p>Policies ({@code policy}): the six plugins, {@code round-robin} also with {@code rotation = per-event-loop},
 * and three pickers that are not plugins: {@code mutex-ring} (the baseline, {@link MutexRingBaseline}),
 * {@code synchronized-ring} ({@link SynchronizedRingBaseline}) and {@code unpadded-atomic} (the first round-robin
 * picker, {@link UnpaddedAtomicPicker}). Weighted policies get weights 1 to 5 in turn (so
 * {@code weighted-round-robin} has a real smooth cycle and {@code random} and {@code least-request} draw through the
 * alias table); {@code consistent-hash} hashes the client address (its default key) into a 65537-slot Maglev table.
 *
 * <pre>
 * java -jar proxy-bench/target/benchmarks.jar SelectorBenchmark -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
public class SelectorBenchmark {

    /** The policy under test. */
    @Param({"mutex-ring", "synchronized-ring", "unpadded-atomic", "round-robin", "round-robin-per-event-loop",
            "weighted-round-robin", "least-request", "random", "consistent-hash", "first"})
    public String policy;

    /** How many upstreams the route has. */
    @Param({"3", "100"})
    public int upstreams;

    private UpstreamSelector.Picker picker;

    /** Builds the picker. */
    @Setup(Level.Trial)
    public void setUp() {
        List<Upstream> live = new ArrayList<>(upstreams);
        for (int i = 0; i < upstreams; i++) {
            live.add(Upstream.parse("http://10.0." + (i / 250) + '.' + (i % 250 + 1) + ':' + (9000 + i), 1 + i % 5));
        }
        switch (policy) {
            case "mutex-ring":
                picker = new MutexRingBaseline(live);
                break;
            case "synchronized-ring":
                picker = new SynchronizedRingBaseline(live);
                break;
            case "unpadded-atomic":
                picker = new UnpaddedAtomicPicker(live);
                break;
            case "round-robin-per-event-loop":
                picker = plugin("round-robin", "rotation = per-event-loop", live);
                break;
            default:
                picker = plugin(policy, "", live);
        }
    }

    private static UpstreamSelector.Picker plugin(String name, String settings, List<Upstream> live) {
        for (UpstreamSelectorFactory f : ServiceLoader.load(UpstreamSelectorFactory.class)) {
            if (f.name().equals(name)) {
                return f.create(new BenchPluginContext(name, settings, live)).picker(List.copyOf(live));
            }
        }
        throw new IllegalArgumentException("policy: " + name + " (expected: a selector plugin on the class path)");
    }

    /** One pick and its completion. */
    @Benchmark
    public Upstream pick() {
        UpstreamSelector.Picker p = picker;
        Upstream u = p.pick(ConstantRequest.INSTANCE);
        p.onComplete(u);
        return u;
    }
}
