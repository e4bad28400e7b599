package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.runtime.config.ActiveHealth;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.PassiveHealth;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.StatusSet;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The live set of a route: ejection, its limits, its end, panic routing and slow start, on a real health loop. */
class UpstreamSetTest {

    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
    private final EventLoop loop = group.next();
    private final Recording selector = new Recording();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Records every live list it is given and the thread that gave it; picks the first live upstream. */
    static final class Recording implements UpstreamSelector {
        final List<List<Upstream>> snapshots = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public Picker picker(List<Upstream> live) {
            snapshots.add(live);
            threads.add(Thread.currentThread().getName());
            return request -> live.isEmpty() ? null : live.get(0);
        }

        List<Upstream> last() {
            return snapshots.get(snapshots.size() - 1);
        }
    }

    private static List<UpstreamTarget> targets(int n) {
        List<UpstreamTarget> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new UpstreamTarget(Upstream.parse("http://127.0.0.1:" + (9000 + i)), null));
        }
        return list;
    }

    private static HealthSettings passive(int failures, Duration ejection, int percent, Duration slowStart) {
        return new HealthSettings(new PassiveHealth(failures, StatusSet.of(List.of("502", "503", "504")), ejection,
                ejection.multipliedBy(10), percent), ActiveHealth.OFF, slowStart);
    }

    private UpstreamSet started(List<UpstreamTarget> targets, HealthSettings health) {
        UpstreamSet set = new UpstreamSet("r", targets, selector, health, RetrySettings.NONE, p -> { });
        set.start(loop, null);
        return set;
    }

    private static void fail(UpstreamSet set, UpstreamTarget t, int times) {
        for (int i = 0; i < times; i++) {
            set.attemptEnded(t, UpstreamSet.Outcome.FAILURE);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 1000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what + " within 10 s");
    }

    /** Lets the health loop run everything queued so far. */
    private void drain() throws Exception {
        loop.submit(() -> { }).get();
    }

    private static List<Upstream> configured(List<UpstreamTarget> targets) {
        return targets.stream().map(t -> t.upstream).toList();
    }

    @Test
    void startsWithEveryUpstreamLiveAtItsConfiguredWeight() {
        List<UpstreamTarget> targets = targets(3);
        UpstreamSet set = started(targets, HealthSettings.NONE);
        assertEquals(List.of(configured(targets)), selector.snapshots);
        assertEquals(3, set.snapshot().live().length);
        assertSame(targets.get(0), set.snapshot().live()[0]);
    }

    @Test
    void findsTheTargetOfAnyInstanceWithTheSameUrl() {
        List<UpstreamTarget> targets = targets(2);
        UpstreamSet set = started(targets, HealthSettings.NONE);
        Upstream a = targets.get(0).upstream;
        assertSame(targets.get(0), set.target(a));
        assertSame(targets.get(0), set.target(a.withWeight(7)), "a weighted copy (slow start) maps back");
        assertSame(targets.get(1), set.target(Upstream.parse("http://127.0.0.1:9001")));
        assertNull(set.target(Upstream.parse("http://127.0.0.1:9999")));
    }

    @Test
    void consecutiveFailuresEjectAnUpstreamAndTheSnapshotIsBuiltOnTheHealthLoop() throws Exception {
        List<UpstreamTarget> targets = targets(3);
        UpstreamSet set = started(targets, passive(3, Duration.ofMinutes(1), 50, Duration.ZERO));
        fail(set, targets.get(1), 3);
        await(() -> selector.snapshots.size() == 2, "a second snapshot");
        assertEquals(List.of(targets.get(0).upstream, targets.get(2).upstream), selector.last());
        assertTrue(selector.threads.get(1).startsWith("defaultEventLoopGroup"), selector.threads.toString());
        assertEquals(2, set.snapshot().live().length);
    }

    @Test
    void aSuccessResetsTheCountAndNeutralOutcomesDoNotCount() throws Exception {
        List<UpstreamTarget> targets = targets(2);
        UpstreamSet set = started(targets, passive(3, Duration.ofMinutes(1), 50, Duration.ZERO));
        fail(set, targets.get(0), 2);
        set.attemptEnded(targets.get(0), UpstreamSet.Outcome.SUCCESS);
        fail(set, targets.get(0), 2);
        for (int i = 0; i < 10; i++) {
            set.attemptEnded(targets.get(0), UpstreamSet.Outcome.NEUTRAL);
        }
        drain();
        assertEquals(1, selector.snapshots.size(), "never three failures in a row");
        fail(set, targets.get(0), 1);
        await(() -> selector.snapshots.size() == 2, "ejected at the third in a row");
    }

    @Test
    void atMostMaxEjectionPercentOfTheUpstreamsAreEjectedAtOnceButAlwaysOne() throws Exception {
        List<UpstreamTarget> targets = targets(4);
        UpstreamSet set = started(targets, passive(1, Duration.ofMinutes(1), 25, Duration.ZERO));
        fail(set, targets.get(0), 1);
        await(() -> selector.snapshots.size() == 2, "the first ejection");
        fail(set, targets.get(1), 1);
        fail(set, targets.get(2), 1);
        drain();
        assertEquals(2, selector.snapshots.size(), "25% of 4 is one upstream");
        assertEquals(3, set.snapshot().live().length);

        List<UpstreamTarget> two = targets(2);
        Recording other = new Recording();
        UpstreamSet small = new UpstreamSet("s", two, other, passive(1, Duration.ofMinutes(1), 10, Duration.ZERO),
                RetrySettings.NONE, p -> { });
        small.start(loop, null);
        fail(small, two.get(0), 1);
        await(() -> other.snapshots.size() == 2, "10% of 2 rounds up to one upstream");
    }

    @Test
    void anEjectedUpstreamComesBackWhenItsEjectionEnds() throws Exception {
        List<UpstreamTarget> targets = targets(2);
        UpstreamSet set = started(targets, passive(1, Duration.ofMillis(200), 50, Duration.ZERO));
        fail(set, targets.get(0), 1);
        await(() -> selector.snapshots.size() >= 2, "the ejection");
        assertEquals(List.of(targets.get(1).upstream), selector.snapshots.get(1));
        await(() -> selector.snapshots.size() >= 3, "the end of the ejection");
        assertEquals(configured(targets), selector.snapshots.get(2));
    }

    @Test
    void repeatedEjectionsLastLongerUpToTheMaximumAndTheCountDecaysWhileAnUpstreamStaysIn() {
        PassiveHealth p = new PassiveHealth(5, StatusSet.NONE, Duration.ofSeconds(30), Duration.ofSeconds(100), 50);
        assertEquals(Duration.ofSeconds(30).toNanos(), UpstreamSet.ejectionNanos(1, p));
        assertEquals(Duration.ofSeconds(60).toNanos(), UpstreamSet.ejectionNanos(2, p));
        assertEquals(Duration.ofSeconds(90).toNanos(), UpstreamSet.ejectionNanos(3, p));
        assertEquals(Duration.ofSeconds(100).toNanos(), UpstreamSet.ejectionNanos(4, p), "capped");
        assertEquals(Duration.ofSeconds(100).toNanos(), UpstreamSet.ejectionNanos(Integer.MAX_VALUE, p));
        long second = Duration.ofSeconds(1).toNanos();
        assertEquals(0, UpstreamSet.ejectionsInARow(0, 5 * second, p), "never ejected before");
        assertEquals(3, UpstreamSet.ejectionsInARow(3, 29 * second, p), "failed again soon after: the next is the 4th");
        assertEquals(2, UpstreamSet.ejectionsInARow(3, 30 * second, p), "one base time in: one step back");
        assertEquals(0, UpstreamSet.ejectionsInARow(3, 3600 * second, p), "long healthy: starts over");
    }

    @Test
    void whenEveryUpstreamIsDownTheSnapshotHoldsThemAll() throws Exception {
        List<UpstreamTarget> targets = targets(2);
        UpstreamSet set = started(targets, passive(1, Duration.ofMinutes(1), 100, Duration.ZERO));
        fail(set, targets.get(0), 1);
        await(() -> selector.snapshots.size() == 2, "the first ejection");
        fail(set, targets.get(1), 1);
        await(() -> selector.snapshots.size() == 3, "the second ejection");
        assertEquals(configured(targets), selector.last(), "panic: try them all rather than refuse everything");
    }

    @Test
    void theOnlyUpstreamOfARouteIsNeverEjected() throws Exception {
        List<UpstreamTarget> targets = targets(1);
        UpstreamSet set = started(targets, passive(1, Duration.ofMinutes(1), 100, Duration.ZERO));
        fail(set, targets.get(0), 10);
        drain();
        assertEquals(1, selector.snapshots.size());
    }

    @Test
    void slowStartRampsTheReturningUpstreamFromATenthToItsFullWeight() throws Exception {
        List<UpstreamTarget> targets = targets(2);
        UpstreamSet set = started(targets, passive(1, Duration.ofMillis(100), 50, Duration.ofMillis(900)));
        fail(set, targets.get(0), 1);
        await(() -> selector.last().size() == 1, "the ejection");
        int ejected = selector.snapshots.size();
        await(() -> selector.snapshots.size() > ejected && selector.last().equals(configured(targets)),
                "the end of the ramp: configured weights again");
        List<List<Upstream>> ramp = selector.snapshots.subList(ejected, selector.snapshots.size() - 1);
        assertTrue(!ramp.isEmpty(), "at least one ramp step: " + selector.snapshots);
        List<Integer> shares = new ArrayList<>();
        for (List<Upstream> live : ramp) {
            assertEquals(2, live.size());
            assertEquals(10, live.get(1).weight(), "the others are scaled to ten parts");
            shares.add(live.get(0).weight());
        }
        assertEquals(1, shares.get(0), "the ramp starts at a tenth: " + shares);
        for (int i = 1; i < shares.size(); i++) {
            assertTrue(shares.get(i) >= shares.get(i - 1) && shares.get(i) < 10, "rising by tenths: " + shares);
        }
        assertSame(targets.get(0), set.target(ramp.get(0).get(0)));
    }
}
