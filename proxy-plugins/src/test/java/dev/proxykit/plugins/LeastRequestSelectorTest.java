package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static dev.proxykit.plugins.Picks.A;
import static dev.proxykit.plugins.Picks.B;
import static dev.proxykit.plugins.Picks.C;
import static dev.proxykit.plugins.Picks.D;
import static dev.proxykit.plugins.Picks.REQUEST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeastRequestSelectorTest {

    private static UpstreamSelector selector() {
        return new LeastRequestSelectorFactory().create(TestPluginContext.of("least-request", ""));
    }

    /** {@code count} picks that stay in flight (never completed). */
    private static List<Upstream> hold(Picker picker, int count) {
        List<Upstream> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            held.add(picker.pick(REQUEST));
        }
        return held;
    }

    @Test
    void withTwoUpstreamsTheLessLoadedOneIsAlwaysChosen() {
        LeastRequestSelector.LeastRequestPicker picker =
                (LeastRequestSelector.LeastRequestPicker) selector().picker(List.of(A, B));
        List<Upstream> held = hold(picker, 10);
        // two distinct candidates every time: the loads can never drift more than one apart
        assertEquals(5, held.stream().filter(A::equals).count());
        for (int i = 0; i < 5; i++) {
            picker.onComplete(A);
        }
        assertEquals(0, picker.inflight(0));
        assertEquals(5, picker.inflight(1));
        assertEquals(List.of(A, A, A, A, A), hold(picker, 5), "A is idle, B has five in flight");
    }

    @Test
    void inFlightCountsCarryOverToANewSnapshot() {
        UpstreamSelector selector = selector();
        Picker old = selector.picker(List.of(A, B));
        List<Upstream> held = hold(old, 6);
        // A leaves the live set, C joins: B keeps its three requests in flight
        LeastRequestSelector.LeastRequestPicker current =
                (LeastRequestSelector.LeastRequestPicker) selector.picker(List.of(B, C));
        assertEquals(3, current.inflight(0));
        assertEquals(List.of(C, C, C), hold(current, 3), "C is idle, B is busy");
        for (Upstream u : held) {
            old.onComplete(u); // attempts end on the picker that started them
        }
        assertEquals(0, current.inflight(0));
        assertEquals(3, current.inflight(1));
    }

    @Test
    void anUpstreamWithThreeTimesTheWeightCarriesThreeTimesTheLoad() {
        Upstream a = A.withWeight(3);
        List<Upstream> held = hold(selector().picker(List.of(a, B)), 4000);
        double share = held.stream().filter(a::equals).count() / 4000.0;
        assertTrue(share > 0.72 && share < 0.78, "share of the weight-3 upstream: " + share);
    }

    /** Sequential requests (each done before the next): nothing in flight at a pick, so weight alone decides. */
    @Test
    void lightlyLoadedUpstreamsGetTheirWeightsShareNotAllOfItForTheHeaviest() {
        Upstream a = A.withWeight(2);
        double share = sequentialShare(selector().picker(List.of(a, B)), a, 6000);
        assertTrue(share > 0.63 && share < 0.70, "share of the weight-2 upstream: " + share);
        Upstream heavy = A.withWeight(5);
        double heavyShare = sequentialShare(selector().picker(List.of(heavy, B, C)), heavy, 7000);
        assertTrue(heavyShare > 0.68 && heavyShare < 0.75, "share of the weight-5 of 5:1:1: " + heavyShare);
    }

    /** The share of {@code picks} picks, each completed before the next, that went to {@code upstream}. */
    private static double sequentialShare(Picker picker, Upstream upstream, int picks) {
        int count = 0;
        for (int i = 0; i < picks; i++) {
            Upstream u = picker.pick(REQUEST);
            count += u.equals(upstream) ? 1 : 0;
            picker.onComplete(u);
        }
        return count / (double) picks;
    }

    @Test
    void equalWeightsWithChoiceCountFourPreferTheLeastLoadedOfFour() {
        UpstreamSelector selector = new LeastRequestSelectorFactory()
                .create(TestPluginContext.of("least-request", "choice-count = 4"));
        Picker picker = selector.picker(List.of(A, B, C, D));
        List<Upstream> held = hold(picker, 400);
        for (Upstream u : List.of(A, B, C, D)) {
            long n = held.stream().filter(u::equals).count();
            assertTrue(n >= 90 && n <= 110, u + ": " + n + " of 400 in flight");
        }
    }

    @Test
    void completingAnUpstreamOfAnotherSelectorChangesNothing() {
        LeastRequestSelector.LeastRequestPicker picker =
                (LeastRequestSelector.LeastRequestPicker) selector().picker(List.of(A, B));
        hold(picker, 2);
        picker.onComplete(C);
        assertEquals(1, picker.inflight(0));
        assertEquals(1, picker.inflight(1));
    }

    @Test
    void anEmptySnapshotPicksNullAndASingleUpstreamIsAlwaysPicked() {
        assertNull(selector().picker(List.of()).pick(REQUEST));
        assertEquals(List.of(A, A, A), hold(selector().picker(List.of(A)), 3));
    }

    @Test
    void concurrentPicksAndCompletionsLeaveNothingInFlight() throws InterruptedException {
        LeastRequestSelector.LeastRequestPicker picker = (LeastRequestSelector.LeastRequestPicker) selector()
                .picker(List.of(A, B.withWeight(2), C));
        Picks.Concurrent result = Picks.concurrently(picker, 4, 25_000);
        assertEquals(0, result.nulls());
        assertEquals(100_000, result.of(A) + result.of(B.withWeight(2)) + result.of(C));
        for (int i = 0; i < 3; i++) {
            assertEquals(0, picker.inflight(i), "upstream " + i);
        }
        assertTrue(result.of(A) > 0 && result.of(C) > 0);
    }

    @Test
    void choiceCountIsTwoByDefaultAndChecked() {
        assertEquals(2, TestPluginContext.of("least-request", "").config().getInt("choice-count"));
        assertInvalid(() -> new LeastRequestSelectorFactory().create(TestPluginContext.of("least-request",
                "choice-count = 1")), "choice-count", "2 to 16", "found: 1");
        assertInvalid(() -> new LeastRequestSelectorFactory().create(TestPluginContext.of("least-request",
                "choice-count = two")), "choice-count", "2 to 16");
        assertInvalid(() -> new LeastRequestSelectorFactory().create(TestPluginContext.of("least-request",
                "choices = 3")), "choices", "least-request", "[choice-count]");
    }
}
