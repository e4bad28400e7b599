package dev.proxykit.runtime;

import static dev.proxykit.runtime.Proxies.servedBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every selector plugin end to end: a HOCON route naming it, the built-in plugins found like in the distribution,
 * real upstreams on loopback sockets.
 */
class LoadBalancingIT {

    private final Proxies proxies = new Proxies();

    @AfterEach
    void close() throws Exception {
        proxies.close();
    }

    private TestUpstream echo(String name) throws IOException {
        return proxies.keep(TestUpstream.echo(name));
    }

    /** A proxy with one route over {@code upstreams} (HOCON list elements) and {@code settings} (route keys). */
    private int proxy(String upstreams, String settings) throws Exception {
        return proxies.start("proxykit { listen = \"127.0.0.1:0\", workers = 2, routes = [{ upstreams = [" + upstreams
                + "], " + settings + " }] }");
    }

    private static Map<String, Integer> counts(int port, int n) throws IOException {
        return Proxies.countsOnOneConnection(port, n);
    }

    @Test
    void weightedRoundRobinGivesNginxsSmoothOrderAndExactSharesOverAThousandRequests() throws Exception {
        TestUpstream a = echo("a");
        TestUpstream b = echo("b");
        TestUpstream c = echo("c");
        int port = proxy("{ url = \"" + a.url() + "\", weight = 5 }, \"" + b.url() + "\", \"" + c.url() + "\"",
                "selector = weighted-round-robin");
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            order.add(servedBy(port, "/order").substring("upstream ".length())); // a new connection each time
        }
        assertEquals(List.of("a", "a", "b", "a", "c", "a", "a"), order);

        TestUpstream d = echo("d");
        TestUpstream e = echo("e");
        int weighted = proxy("{ url = \"" + d.url() + "\", weight = 3 }, \"" + e.url() + "\"",
                "selector = weighted-round-robin");
        assertEquals(Map.of("upstream d", 750, "upstream e", 250), counts(weighted, 1000));
    }

    @Test
    void randomHonoursWeightsWithinStatisticalToleranceOverAThousandRequests() throws Exception {
        TestUpstream a = echo("a");
        TestUpstream b = echo("b");
        int port = proxy("{ url = \"" + a.url() + "\", weight = 3 }, \"" + b.url() + "\"", "selector = random");
        Map<String, Integer> counts = counts(port, 1000);
        int heavy = counts.getOrDefault("upstream a", 0);
        assertEquals(1000, heavy + counts.getOrDefault("upstream b", 0), counts.toString());
        // expected 750, standard deviation 13.7: the band is more than 7 of them wide on each side
        assertTrue(heavy >= 650 && heavy <= 850, "weight-3 upstream served " + heavy + " of 1000");
    }

    @Test
    void leastRequestSendsEverythingElseAwayFromAnUpstreamBusyWithALongRequest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestUpstream slow = proxies.keep(TestUpstream.start("slow", (req, res) -> {
            if (req.target().equals("/long")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            res.send(200, "upstream slow\n");
        }));
        TestUpstream fast = proxies.keep(TestUpstream.start("fast", (req, res) -> res.send(200, "upstream fast\n")));
        int port = proxy("\"" + slow.url() + "\", \"" + fast.url() + "\"", "selector = least-request");
        // send /long until one sticks at the slow upstream (the fast one answers the others at once)
        List<RawHttpClient> stuck = new ArrayList<>();
        try {
            for (int i = 0; i < 30 && slow.pendingRequests() == 0; i++) {
                RawHttpClient c = new RawHttpClient(port);
                stuck.add(c);
                c.send("GET /long HTTP/1.1\r\nHost: lb.test\r\n\r\n");
                fast.pollRequest(200);
            }
            assertEquals(1, slow.pendingRequests(), "a request in flight at the slow upstream");
            Map<String, Integer> counts = counts(port, 50);
            assertEquals(Map.of("upstream fast", 50), counts,
                    "with one request in flight there, every other request goes to the idle upstream");
        } finally {
            release.countDown();
            for (RawHttpClient c : stuck) {
                c.close();
            }
        }
        Proxies.await(() -> {
            try {
                return counts(port, 20).containsKey("upstream slow");
            } catch (IOException e) {
                return false;
            }
        }, "the slow upstream getting requests again once its long one ended");
    }

    @Test
    void consistentHashKeepsEachUserOnOneUpstreamAndSpreadsUsers() throws Exception {
        TestUpstream a = echo("a");
        TestUpstream b = echo("b");
        TestUpstream c = echo("c");
        int port = proxy("\"" + a.url() + "\", \"" + b.url() + "\", \"" + c.url() + "\"",
                "selector = { type = consistent-hash, key = header, name = X-User }");
        Set<String> used = new HashSet<>();
        for (int user = 0; user < 30; user++) {
            String first = servedBy(port, "/", "X-User: user-" + user);
            for (int again = 0; again < 3; again++) {
                assertEquals(first, servedBy(port, "/x" + again, "X-User: user-" + user), "user-" + user);
            }
            used.add(first);
        }
        assertEquals(Set.of("upstream a", "upstream b", "upstream c"), used);
    }

    @Test
    void firstSendsEverythingToTheFirstUpstream() throws Exception {
        TestUpstream a = echo("a");
        TestUpstream b = echo("b");
        int port = proxy("\"" + b.url() + "\", \"" + a.url() + "\"", "selector = first");
        assertEquals(Map.of("upstream b", 20), counts(port, 20));
    }

    @Test
    void roundRobinPerEventLoopSpreadsEvenlyOverEachLoop() throws Exception {
        TestUpstream a = echo("a");
        TestUpstream b = echo("b");
        int port = proxy("\"" + a.url() + "\", \"" + b.url() + "\"",
                "selector = { type = round-robin, rotation = per-event-loop }");
        List<String> served = Proxies.servedInTurn(port, 6);
        for (int i = 1; i < served.size(); i++) {
            assertTrue(!served.get(i).equals(served.get(i - 1)), "one connection, one loop, strict rotation: "
                    + served);
        }
    }
}
