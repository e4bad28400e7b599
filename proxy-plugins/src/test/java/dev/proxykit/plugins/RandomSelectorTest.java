package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static dev.proxykit.plugins.Picks.A;
import static dev.proxykit.plugins.Picks.B;
import static dev.proxykit.plugins.Picks.C;
import static dev.proxykit.plugins.Picks.D;
import static dev.proxykit.plugins.Picks.REQUEST;
import static dev.proxykit.plugins.Picks.counts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RandomSelectorTest {

    private static UpstreamSelector selector() {
        return new RandomSelectorFactory().create(TestPluginContext.of("random", ""));
    }

    /**
     * Asserts a share within 10 standard deviations of the expected proportion: a false alarm is practically
     * impossible, and a wrong distribution (off by a few percent over tens of thousands of draws) still fails.
     */
    private static void assertShare(double expected, int count, int total, String what) {
        double sigma = Math.sqrt(expected * (1 - expected) / total);
        double share = (double) count / total;
        assertTrue(Math.abs(share - expected) <= 10 * sigma, what + ": share " + share + ", expected " + expected
                + " +/- " + 10 * sigma);
    }

    @Test
    void equalWeightsAreChosenUniformly() {
        Map<Upstream, Integer> counts = counts(selector().picker(List.of(A, B, C, D)), 40_000);
        for (Upstream u : List.of(A, B, C, D)) {
            assertShare(0.25, counts.get(u), 40_000, u.toString());
        }
    }

    @Test
    void weightsSetTheProbabilities() {
        Upstream a = A.withWeight(6);
        Upstream b = B.withWeight(3);
        Map<Upstream, Integer> counts = counts(selector().picker(List.of(a, b, C)), 50_000);
        assertShare(0.6, counts.get(a), 50_000, "a");
        assertShare(0.3, counts.get(b), 50_000, "b");
        assertShare(0.1, counts.get(C), 50_000, "c");
    }

    @Test
    void theAliasTableGivesExactProbabilitiesOverEveryColumnAndCoin() {
        // enumerate the table: each column is drawn with probability 1/n, then its threshold splits it
        long[] weights = {1, 2, 3, 10};
        AliasTable table = new AliasTable(weights);
        double[] probability = new double[weights.length];
        SplittableRandom random = new SplittableRandom(42);
        int draws = 200_000;
        for (int i = 0; i < draws; i++) {
            probability[table.draw(random.nextLong())] += 1.0 / draws;
        }
        for (int i = 0; i < weights.length; i++) {
            double expected = weights[i] / 16.0;
            assertTrue(Math.abs(probability[i] - expected) < 0.005, i + ": " + probability[i] + " vs " + expected);
        }
    }

    @Test
    void extremeWeightsKeepTheLightUpstreamAsRareAsItsWeight() {
        AliasTable table = new AliasTable(new long[] {Upstream.MAX_WEIGHT, 1});
        SplittableRandom random = new SplittableRandom(7);
        int light = 0;
        for (int i = 0; i < 1_000_000; i++) {
            light += table.draw(random.nextLong());
        }
        assertTrue(light < 30, "about one in a million: " + light);
    }

    @Test
    void anEmptySnapshotPicksNullAndASingleUpstreamIsAlwaysPicked() {
        assertNull(selector().picker(List.of()).pick(REQUEST));
        assertEquals(Map.of(A, 100), counts(selector().picker(List.of(A)), 100));
    }

    @Test
    void concurrentPicksNeverFailAndReachEveryUpstream() throws InterruptedException {
        Picks.Concurrent result = Picks.concurrently(selector().picker(List.of(A, B, C)), 4, 30_000);
        assertEquals(0, result.nulls());
        for (Upstream u : List.of(A, B, C)) {
            assertShare(1 / 3.0, result.of(u), 120_000, u.toString());
        }
    }

    @Test
    void hasNoSettings() {
        assertInvalid(() -> new RandomSelectorFactory().create(TestPluginContext.of("random", "seed = 1")),
                "seed", "random", "expected: no settings");
    }
}
