package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static dev.proxykit.plugins.Picks.A;
import static dev.proxykit.plugins.Picks.B;
import static dev.proxykit.plugins.Picks.C;
import static dev.proxykit.plugins.Picks.D;
import static dev.proxykit.plugins.Picks.REQUEST;
import static dev.proxykit.plugins.Picks.counts;
import static dev.proxykit.plugins.Picks.picks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinSelectorTest {

    private static UpstreamSelector selector() {
        return new WeightedRoundRobinSelectorFactory().create(TestPluginContext.of("weighted-round-robin", ""));
    }

    @Test
    void weightsFiveOneOneGiveNginxsSmoothSequence() {
        Upstream a = A.withWeight(5);
        Picker picker = selector().picker(List.of(a, B, C));
        assertEquals(List.of(a, a, B, a, C, a, a, a, a, B, a, C, a, a), picks(picker, 14),
                "a a b a c a a, twice: the heavy upstream's turns are spread out");
    }

    @Test
    void equalWeightsRotateInConfiguredOrder() {
        assertEquals(List.of(A, B, C, A, B, C), picks(selector().picker(List.of(A, B, C)), 6));
        Upstream a3 = A.withWeight(3);
        Upstream b3 = B.withWeight(3);
        assertEquals(List.of(a3, b3, a3, b3), picks(selector().picker(List.of(a3, b3)), 4),
                "weights reduced by their gcd: 3,3 is 1,1");
    }

    @Test
    void theCycleIsReducedByTheGreatestCommonDivisor() {
        RoundRobinSelector.CyclePicker picker = (RoundRobinSelector.CyclePicker) selector()
                .picker(List.of(A.withWeight(400), B.withWeight(200), C.withWeight(200)));
        assertEquals(4, picker.length());
    }

    @Test
    void noUpstreamGetsTwoTurnsInARowWhenAnotherHasAtLeastHalfItsWeight() {
        Upstream a = A.withWeight(4);
        Upstream b = B.withWeight(3);
        Upstream c = C.withWeight(2);
        List<Upstream> sequence = picks(selector().picker(List.of(a, b, c)), 9);
        assertEquals(Map.of(a, 4, b, 3, c, 2), Map.copyOf(counts(selector().picker(List.of(a, b, c)), 9)));
        int longestRun = 1;
        int run = 1;
        for (int i = 1; i < sequence.size(); i++) {
            run = sequence.get(i) == sequence.get(i - 1) ? run + 1 : 1;
            longestRun = Math.max(longestRun, run);
        }
        assertEquals(1, longestRun, "smooth, never a burst: " + sequence);
    }

    @Test
    void sharesAreExactOverAThousandPicks() {
        Upstream a = A.withWeight(5);
        Upstream b = B.withWeight(3);
        Map<Upstream, Integer> counts = counts(selector().picker(List.of(a, b, C, D)), 1000);
        assertEquals(500, counts.get(a));
        assertEquals(300, counts.get(b));
        assertEquals(100, counts.get(C));
        assertEquals(100, counts.get(D));
    }

    @Test
    void hugeWeightsAreScaledDownToABoundedCycleKeepingProportions() {
        List<Upstream> live = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            live.add(Upstream.parse("http://10.0.0." + (i + 1) + ":80", i == 0 ? 1_000_000 : 999_983));
        }
        RoundRobinSelector.CyclePicker picker = (RoundRobinSelector.CyclePicker) selector().picker(live);
        assertTrue(picker.length() <= WeightedRoundRobinSelector.MAX_CYCLE, "cycle " + picker.length());
        Map<Upstream, Integer> counts = counts(picker, picker.length());
        assertEquals(100, counts.size(), "every upstream keeps turns");
        for (int n : counts.values()) {
            assertTrue(Math.abs(n - picker.length() / 100.0) <= 1.0, "share within one entry: " + n);
        }
    }

    @Test
    void aWeightOfOneAgainstAMillionStillGetsItsTurn() {
        Upstream heavy = A.withWeight(Upstream.MAX_WEIGHT);
        RoundRobinSelector.CyclePicker picker = (RoundRobinSelector.CyclePicker) selector().picker(List.of(heavy, B));
        Map<Upstream, Integer> counts = counts(picker, picker.length());
        assertEquals(1, counts.get(B));
        assertEquals(picker.length() - 1, counts.get(heavy));
    }

    @Test
    void anEmptySnapshotPicksNullAndASingleUpstreamIsAlwaysPicked() {
        assertNull(selector().picker(List.of()).pick(REQUEST));
        assertEquals(List.of(A, A, A), picks(selector().picker(List.of(A.withWeight(7))), 3).stream()
                .map(u -> u.withWeight(1)).toList());
    }

    @Test
    void positionCarriesOverToANewSnapshot() {
        UpstreamSelector selector = selector();
        Upstream a = A.withWeight(2);
        assertEquals(List.of(a, B), picks(selector.picker(List.of(a, B)), 2));
        // the third and fourth picks overall take positions 2 and 3 of the new cycle (weights 2,1,1: a b c a)
        assertEquals(List.of(C, a), picks(selector.picker(List.of(a, B, C)), 2));
    }

    @Test
    void concurrentPicksKeepExactProportionsOverWholeCycles() throws InterruptedException {
        Upstream a = A.withWeight(3);
        Picks.Concurrent result = Picks.concurrently(selector().picker(List.of(a, B)), 4, 20_000);
        assertEquals(0, result.nulls());
        assertEquals(60_000, result.of(a));
        assertEquals(20_000, result.of(B));
    }

    @Test
    void perEventLoopRotationKeepsExactProportionsPerThread() throws InterruptedException {
        UpstreamSelector selector = new WeightedRoundRobinSelectorFactory()
                .create(TestPluginContext.of("weighted-round-robin", "rotation = per-event-loop"));
        Upstream a = A.withWeight(3);
        Picks.Concurrent result = Picks.concurrently(selector.picker(List.of(a, B)), 4, 20_000);
        assertEquals(60_000, result.of(a));
        assertEquals(20_000, result.of(B));
    }

    @Test
    void rejectsUnknownKeysAndBadRotation() {
        assertInvalid(() -> new WeightedRoundRobinSelectorFactory().create(TestPluginContext.of("weighted-round-robin",
                "smooth = false")), "smooth", "weighted-round-robin", "[rotation]");
        assertInvalid(() -> new WeightedRoundRobinSelectorFactory().create(TestPluginContext.of("weighted-round-robin",
                "rotation = 3")), "rotation", "global");
    }
}
