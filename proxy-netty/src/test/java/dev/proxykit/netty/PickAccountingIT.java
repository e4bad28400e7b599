package dev.proxykit.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.AccessRecord;
import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.RetrySettings;
import dev.proxykit.runtime.config.StatusSet;
import dev.proxykit.testing.EngineHarness;
import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link UpstreamSelector.Picker#onComplete(Upstream)}: whatever happens to an attempt (success,
 * refused connection and retry, reset and retry, a non-idempotent failure, a retried status, a client that hangs
 * up), every upstream a picker returned comes back to that same picker exactly once.
 */
class PickAccountingIT {

    /** Rotates like round-robin and checks every completion against what it handed out. */
    static final class Accounting implements UpstreamSelector {
        final AtomicLong next = new AtomicLong();
        final AtomicInteger picks = new AtomicInteger();
        final AtomicInteger completes = new AtomicInteger();
        final Queue<String> errors = new ConcurrentLinkedQueue<>();

        @Override
        public Picker picker(List<Upstream> live) {
            Upstream[] all = live.toArray(new Upstream[0]);
            Map<Upstream, AtomicInteger> inFlight = new ConcurrentHashMap<>();
            return new Picker() {
                @Override
                public Upstream pick(RequestInfo request) {
                    Upstream u = all[(int) Math.floorMod(next.getAndIncrement(), all.length)];
                    picks.incrementAndGet();
                    inFlight.computeIfAbsent(u, k -> new AtomicInteger()).incrementAndGet();
                    return u;
                }

                @Override
                public void onComplete(Upstream upstream) {
                    completes.incrementAndGet();
                    AtomicInteger n = inFlight.get(upstream);
                    if (n == null) {
                        errors.add("completed " + upstream + ", which this picker never returned");
                    } else if (n.decrementAndGet() < 0) {
                        errors.add("completed " + upstream + " more often than it was picked");
                    }
                }
            };
        }
    }

    private static int status(EngineHarness proxy, String request) throws IOException {
        try (RawHttpClient c = proxy.client()) {
            return c.exchange(request).status();
        }
    }

    @Test
    void everyPickIsCompletedExactlyOnceOnEveryPath() throws Exception {
        Accounting selector = new Accounting();
        int dead = TestUpstream.closedPort();
        try (TestUpstream ok = TestUpstream.echo("ok");
             TestUpstream dropper = TestUpstream.start("dropper", (req, res) -> {
                 throw new IOException("closing without an answer");
             });
             TestUpstream busy = TestUpstream.start("busy", (req, res) -> res.send(503, "busy"));
             TestUpstream slow = TestUpstream.start("slow", (req, res) -> {
                 try {
                     Thread.sleep(3_000);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             });
             EngineHarness proxy = EngineHarness.start(List.of(
                     EngineHarness.route().name("slow").pathPrefix("/slow").upstream(slow.url()).selector(selector),
                     EngineHarness.route().name("mixed").upstream("http://127.0.0.1:" + dead).upstream(ok.url())
                             .upstream(dropper.url()).upstream(busy.url()).selector(selector)
                             .health(HealthSettings.NONE)
                             .retries(new RetrySettings(4, true, StatusSet.of(List.of("503")), 1024, 100, 1000,
                                     Duration.ofSeconds(10)))), s -> { })) {
            for (int i = 0; i < 40; i++) {
                assertEquals(200, status(proxy, "GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n"), "GET " + i);
            }
            int posts = 0;
            for (int i = 0; i < 8; i++) {
                int st = status(proxy, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
                assertTrue(st == 200 || st == 502 || st == 503, "POST " + i + ": " + st);
                posts += st == 200 ? 1 : 0;
            }
            assertTrue(posts > 0, "a refused connection is retried even for a POST");
            try (RawHttpClient c = proxy.client()) {
                c.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
                slow.takeRequest(5);
            } // hangs up while the upstream is still working: 499
            AccessRecord gone = null;
            for (int i = 0; i < 100 && gone == null; i++) {
                AccessRecord r = proxy.accessLog().take(5);
                gone = r.status() == 499 ? r : null;
            }
            assertTrue(gone != null, "the client that hung up was logged");
            for (int i = 0; i < 500 && selector.completes.get() != selector.picks.get(); i++) {
                Thread.sleep(10);
            }
            assertEquals(List.of(), List.copyOf(selector.errors));
            assertTrue(selector.picks.get() >= 49, "picks: " + selector.picks.get());
            assertEquals(selector.picks.get(), selector.completes.get(), "every pick completed once");
        }
    }
}
