package dev.proxykit.plugins;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs pickers the way event loops do, for selector tests. */
final class Picks {

    static final Upstream A = Upstream.parse("http://127.0.0.1:9292");
    static final Upstream B = Upstream.parse("http://127.0.0.1:9293");
    static final Upstream C = Upstream.parse("http://127.0.0.1:9294");
    static final Upstream D = Upstream.parse("http://127.0.0.1:9295");
    static final RequestInfo REQUEST = TestRequest.of(A, "GET", "/").inbound();

    private Picks() {
    }

    /** {@code count} picks in a row on the calling thread (each completed at once). */
    static List<Upstream> picks(Picker picker, int count) {
        List<Upstream> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Upstream u = picker.pick(REQUEST);
            out.add(u);
            if (u != null) {
                picker.onComplete(u);
            }
        }
        return out;
    }

    /** How many times each upstream was picked in {@code count} picks (each completed at once), in first-seen order. */
    static Map<Upstream, Integer> counts(Picker picker, int count) {
        Map<Upstream, Integer> counts = new LinkedHashMap<>();
        for (Upstream u : picks(picker, count)) {
            counts.merge(u, 1, Integer::sum);
        }
        return counts;
    }

    /** What concurrent picking produced. */
    record Concurrent(Map<Upstream, Integer> counts, int nulls) {
        int of(Upstream u) {
            return counts.getOrDefault(u, 0);
        }
    }

    /**
     * {@code threads} threads each make {@code perThread} picks at the same time, completing each pick at once;
     * fails when a thread takes longer than 60 s.
     */
    static Concurrent concurrently(Picker picker, int threads, int perThread) throws InterruptedException {
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
                for (int i = 0; i < perThread; i++) {
                    Upstream u = picker.pick(REQUEST);
                    if (u == null) {
                        nulls.incrementAndGet();
                    } else {
                        local.merge(u, 1, Integer::sum);
                        picker.onComplete(u);
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
        Map<Upstream, Integer> result = new HashMap<>();
        counts.forEach((u, n) -> result.put(u, n.get()));
        return new Concurrent(result, nulls.get());
    }
}
