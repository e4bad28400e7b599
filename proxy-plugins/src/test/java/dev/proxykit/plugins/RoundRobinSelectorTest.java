package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RoundRobinSelectorTest {

    private static final Upstream A = Upstream.parse("http://127.0.0.1:9292");
    private static final Upstream B = Upstream.parse("http://127.0.0.1:9293");
    private static final Upstream C = Upstream.parse("http://127.0.0.1:9294");
    private static final Upstream D = Upstream.parse("http://127.0.0.1:9295");
    private static final RequestInfo REQUEST = TestRequest.of(A, "GET", "/").inbound();

    private static UpstreamSelector selector() {
        return new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin", ""));
    }

    private static List<Upstream> picks(Picker picker, int count) {
        List<Upstream> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(picker.pick(REQUEST));
        }
        return out;
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
        int threads = 4;
        int picksPerThread = 25_000;
        Picker picker = selector().picker(List.of(A, B, C, D));
        Map<Upstream, AtomicInteger> counts = new ConcurrentHashMap<>();
        AtomicInteger nulls = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                Map<Upstream, Integer> local = new HashMap<>();
                try {
                    if (!start.await(30, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < picksPerThread; i++) {
                    Upstream u = picker.pick(REQUEST);
                    if (u == null) {
                        nulls.incrementAndGet();
                    } else {
                        local.merge(u, 1, Integer::sum);
                    }
                }
                local.forEach((u, n) -> counts.computeIfAbsent(u, k -> new AtomicInteger()).addAndGet(n));
            }, "picker-" + t);
            workers.add(worker);
            worker.start();
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(worker.isAlive(), worker.getName() + " did not finish in 60 s");
        }
        assertEquals(0, nulls.get());
        assertEquals(4, counts.size());
        for (Upstream u : List.of(A, B, C, D)) {
            assertEquals(25_000, counts.get(u).get(), "picks of " + u);
        }
    }

    @Test
    void hasNoSettingsAndRejectsAnyKey() {
        assertTrue(TestPluginContext.of("round-robin", "").config().isEmpty());
        assertInvalid(() -> new RoundRobinSelectorFactory().create(TestPluginContext.of("round-robin",
                "weighted = true")), "weighted", "round-robin", "expected: no settings");
    }
}
