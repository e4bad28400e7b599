package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static dev.proxykit.plugins.Picks.A;
import static dev.proxykit.plugins.Picks.B;
import static dev.proxykit.plugins.Picks.C;
import static dev.proxykit.plugins.Picks.D;
import static dev.proxykit.plugins.Picks.REQUEST;
import static dev.proxykit.plugins.Picks.picks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RoundRobinSelectorTest {

    private static UpstreamSelector selector() {
        return new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin", ""));
    }

    private static UpstreamSelector perEventLoop() {
        return new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin", "rotation = per-event-loop"));
    }

    @Test
    void alternatesStrictlyOverTwo() {
        assertEquals(List.of(A, B, A, B, A, B), picks(selector().picker(List.of(A, B)), 6));
    }

    @Test
    void rotatesStrictlyOverThreeInConfiguredOrder() {
        assertEquals(List.of(A, B, C, A, B, C, A), picks(selector().picker(List.of(A, B, C)), 7));
        assertEquals(List.of(C, A, B, C), picks(selector().picker(List.of(C, A, B)), 4));
    }

    @Test
    void alwaysPicksTheOnlyUpstream() {
        assertEquals(List.of(A, A, A), picks(selector().picker(List.of(A)), 3));
    }

    @Test
    void anEmptySnapshotPicksNull() {
        Picker picker = selector().picker(List.of());
        assertNull(picker.pick(REQUEST));
        assertNull(picker.pick(REQUEST));
    }

    @Test
    void rotationContinuesAcrossANewSnapshot() {
        UpstreamSelector selector = selector();
        assertEquals(List.of(A, B), picks(selector.picker(List.of(A, B)), 2));
        // The third pick overall goes to the third upstream of the new snapshot.
        assertEquals(List.of(C, A, B, C), picks(selector.picker(List.of(A, B, C)), 4));
        // An empty snapshot does not advance the rotation: six picks so far, so the seventh is the first of two.
        assertNull(selector.picker(List.of()).pick(REQUEST));
        assertEquals(List.of(A, B, A), picks(selector.picker(List.of(A, B)), 3));
    }

    @Test
    void eachSelectorHasItsOwnRotation() {
        Picker first = selector().picker(List.of(A, B));
        Picker second = selector().picker(List.of(A, B));
        assertEquals(A, first.pick(REQUEST));
        assertEquals(A, second.pick(REQUEST));
        assertEquals(B, first.pick(REQUEST));
    }

    @Test
    void anOldPickerKeepsItsSnapshot() {
        UpstreamSelector selector = selector();
        List<Upstream> live = new ArrayList<>(List.of(A, B));
        Picker old = selector.picker(live);
        live.add(C);
        Picker current = selector.picker(List.of(C, D));
        assertNotSame(old, current);
        assertEquals(List.of(A, B, A, B), picks(old, 4));
        assertEquals(List.of(C, D), picks(current, 2));
    }

    @Test
    void ignoresWeights() {
        Picker picker = selector().picker(List.of(A.withWeight(5), B));
        assertEquals(List.of(A.withWeight(5), B, A.withWeight(5), B), picks(picker, 4));
    }

    @Test
    void rejectsANullSnapshot() {
        assertThrows(NullPointerException.class, () -> selector().picker(null));
    }

    @Test
    void concurrentPicksAreSpreadExactlyEvenly() throws InterruptedException {
        Picks.Concurrent result = Picks.concurrently(selector().picker(List.of(A, B, C, D)), 4, 25_000);
        assertEquals(0, result.nulls());
        for (Upstream u : List.of(A, B, C, D)) {
            assertEquals(25_000, result.of(u), "picks of " + u);
        }
    }

    @Test
    void perEventLoopRotationIsStrictOnEachThread() throws InterruptedException {
        Picker picker = perEventLoop().picker(List.of(A, B, C));
        List<Upstream> here = picks(picker, 6);
        // whatever the thread's starting offset, it walks the snapshot in order
        int start = List.of(A, B, C).indexOf(here.get(0));
        for (int i = 0; i < 6; i++) {
            assertEquals(List.of(A, B, C).get((start + i) % 3), here.get(i), "pick " + i + " of " + here);
        }
        AtomicReference<List<Upstream>> there = new AtomicReference<>();
        Thread other = new Thread(() -> there.set(picks(picker, 3)));
        other.start();
        other.join(10_000);
        int otherStart = List.of(A, B, C).indexOf(there.get().get(0));
        assertEquals(List.of(A, B, C).get((otherStart + 1) % 3), there.get().get(1));
        // the calling thread's rotation did not move while the other thread picked
        assertEquals(List.of(A, B, C).get((start + 6) % 3), picker.pick(REQUEST));
    }

    @Test
    void perEventLoopCountersStartAtDifferentOffsetsForConsecutiveThreads() {
        Sequence.PerThread sequence = new Sequence.PerThread();
        long[] first = new long[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int index = t;
            threads[t] = new Thread(() -> first[index] = sequence.next());
        }
        // thread ids are consecutive, so the two land on different stripes
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            assertDoesNotHang(t);
        }
        assertNotEquals(first[0], first[1]);
    }

    @Test
    void perEventLoopConcurrentPicksAreSpreadExactlyEvenlyOverWholeRounds() throws InterruptedException {
        Picks.Concurrent result = Picks.concurrently(perEventLoop().picker(List.of(A, B, C, D)), 4, 25_000);
        assertEquals(0, result.nulls());
        for (Upstream u : List.of(A, B, C, D)) {
            assertEquals(25_000, result.of(u), "picks of " + u);
        }
    }

    @Test
    void rotationIsGlobalByDefaultAndRejectsOtherValuesAndUnknownKeys() {
        assertInstanceOf(Sequence.Global.class, Settings.rotation(TestPluginContext.of("round-robin", "")));
        assertInstanceOf(Sequence.PerThread.class,
                Settings.rotation(TestPluginContext.of("round-robin", "rotation = per-event-loop")));
        assertInvalid(() -> new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin",
                "rotation = per-thread")), "rotation", "global", "per-event-loop", "per-thread");
        assertInvalid(() -> new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin",
                "weighted = true")), "weighted", "round-robin", "[rotation]");
    }

    private static void assertDoesNotHang(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertEquals(Thread.State.TERMINATED, t.getState(), t.getName());
    }
}
