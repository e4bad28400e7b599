package dev.proxykit.runtime;

import static dev.proxykit.runtime.Proxies.anyLine;
import static dev.proxykit.runtime.Proxies.await;
import static dev.proxykit.runtime.Proxies.servedBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.testing.RawHttpClient;
import dev.proxykit.testing.TestTls;
import dev.proxykit.testing.TestUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health and retries through the whole proxy: upstreams that die, fail their checks, answer badly or reset, and
 * come back; what clients get, where requests go, and what the access and health logs say.
 */
class HealthIT {

    private final Proxies proxies = new Proxies();
    private final List<String> access = proxies.capture("proxykit.access");
    private final List<String> health = proxies.capture("proxykit.health");
    private final List<String> exchanges = proxies.capture("proxykit.exchange");

    @AfterEach
    void close() throws Exception {
        proxies.close();
    }

    private int proxy(String route) throws Exception {
        return proxies.start("proxykit { listen = \"127.0.0.1:0\", workers = 2, routes = [{ " + route + " }] }");
    }

    private TestUpstream named(String name) throws IOException {
        return proxies.keep(TestUpstream.start(name, (req, res) -> res.send(200, "upstream " + name + "\n")));
    }

    private static String addr(TestUpstream u) {
        return "127.0.0.1:" + u.port();
    }

    private static Map<String, Integer> counts(int port, int n) throws IOException {
        return Proxies.countsOnNewConnections(port, n);
    }

    private static boolean eventuallyServedBy(int port, String who) {
        try {
            return servedBy(port, "/poll").equals(who);
        } catch (IOException e) {
            return false;
        }
    }

    private static RawHttpClient.Response send(int port, String request) throws IOException {
        try (RawHttpClient c = new RawHttpClient(port)) {
            return c.exchange(request);
        }
    }

    @Test
    void aKilledUpstreamIsSkippedAndComesBackAfterItsEjection() throws Exception {
        TestUpstream a = named("a");
        TestUpstream b = named("b");
        int port = proxy("upstreams = [\"" + a.url() + "\", \"" + b.url() + "\"]\n"
                + "health { passive { consecutive-failures = 2, base-ejection-time = 1s } }");
        assertEquals(Map.of("upstream a", 2, "upstream b", 2), counts(port, 4));
        int aPort = a.port();
        a.close();

        assertEquals(Map.of("upstream b", 20), counts(port, 20), "refused connections are retried on b");
        await(() -> anyLine(health, "upstream http://127.0.0.1:" + aPort, "ejected for 1s"), "a's ejection");
        assertTrue(anyLine(access, " 200 ", "upstream=" + addr(b), "tried=127.0.0.1:" + aPort + "," + addr(b)),
                "the access log shows the retry: " + access);
        assertTrue(anyLine(exchanges, ": upstream_refused in CONNECT at upstream 127.0.0.1:" + aPort
                + " (connect() failed (111: Connection refused)); trying upstream " + addr(b) + " (attempt 2 of"),
                "the retry's line, in the access log's words: " + exchanges);
        // an exchange logs after its response is sent: let the 24 lines so far arrive before starting afresh
        await(() -> access.size() == 24, "24 access lines");
        access.clear();
        assertEquals(Map.of("upstream b", 10), counts(port, 10));
        await(() -> access.size() == 10, "ten access lines");
        assertEquals(10, access.stream().filter(l -> l.contains(" attempts=1") && !l.contains("tried=")).count(),
                "the ejected upstream is not even tried: " + access);

        proxies.keep(TestUpstream.start("a-again", aPort, (req, res) -> res.send(200, "upstream a-again\n")));
        await(() -> eventuallyServedBy(port, "upstream a-again"), "a back in rotation once its ejection ended");
        assertTrue(anyLine(health, "upstream http://127.0.0.1:" + aPort, "is back after its ejection"), health.toString());
    }

    @Test
    void anActiveCheckTakesAFailingUpstreamOutAndBringsItBack() throws Exception {
        AtomicInteger checkStatus = new AtomicInteger(200);
        AtomicReference<TestUpstream.Request> lastCheck = new AtomicReference<>();
        TestUpstream a = proxies.keep(TestUpstream.start("a", (req, res) -> {
            if (req.target().equals("/healthz")) {
                lastCheck.set(req);
                res.send(checkStatus.get(), "check");
            } else {
                res.send(200, "upstream a\n");
            }
        }));
        TestUpstream b = named("b");
        int port = proxy("upstreams = [\"" + a.url() + "\", \"" + b.url() + "\"]\n"
                + "health { passive { consecutive-failures = 0 }, active { enabled = true, path = \"/healthz\","
                + " interval = 100ms, timeout = 1s, healthy-threshold = 2, unhealthy-threshold = 2 } }");
        await(() -> lastCheck.get() != null, "a first check");
        TestUpstream.Request check = lastCheck.get();
        assertEquals("GET /healthz HTTP/1.1", check.requestLine());
        assertEquals(addr(a), check.header("Host"));
        assertEquals("proxykit-health-check", check.header("User-Agent"));

        checkStatus.set(503);
        await(() -> anyLine(health, a.url(), "failed 2 health checks in a row (status 503): marked down"),
                "a marked down");
        assertEquals(Map.of("upstream b", 20), counts(port, 20), "nothing goes to an upstream marked down");

        checkStatus.set(200);
        await(() -> anyLine(health, a.url(), "passed 2 health checks in a row (status 200): up again"), "a up again");
        assertEquals(Map.of("upstream a", 10, "upstream b", 10), counts(port, 20));
    }

    @Test
    void aKilledUpstreamIsMarkedDownByItsCheckAndBackWhenItAnswersAgain() throws Exception {
        TestUpstream a = named("a");
        TestUpstream b = named("b");
        int port = proxy("upstreams = [\"" + a.url() + "\", \"" + b.url() + "\"]\n"
                + "health { passive { consecutive-failures = 0 }, active { enabled = true, interval = 100ms,"
                + " healthy-threshold = 1, unhealthy-threshold = 1 } }");
        int aPort = a.port();
        a.close();
        // "connect failed" as a rule; "connection closed before a status line" when a check was in flight at close
        await(() -> anyLine(health, "upstream http://127.0.0.1:" + aPort, "failed 1 health checks", "marked down"),
                "a marked down by its check");
        access.clear();
        assertEquals(Map.of("upstream b", 10), counts(port, 10));
        await(() -> access.size() == 10, "ten access lines");
        assertTrue(access.stream().noneMatch(l -> l.contains("tried=")), "a is not even tried: " + access);
        proxies.keep(TestUpstream.start("a-again", aPort, (req, res) -> res.send(200, "upstream a-again\n")));
        await(() -> anyLine(health, "upstream http://127.0.0.1:" + aPort, "up again"), "a's check passing again");
        assertEquals(Map.of("upstream a-again", 5, "upstream b", 5), counts(port, 10));
    }

    @Test
    void anHttpsUpstreamIsCheckedOverTlsWithTheRoutesCa() throws Exception {
        AtomicInteger checkStatus = new AtomicInteger(200);
        AtomicReference<String> checkSni = new AtomicReference<>();
        TestUpstream secure = proxies.keep(TestUpstream.startTls("secure", (req, res) -> {
            if (req.target().equals("/healthz")) {
                checkSni.set(req.sni());
                res.send(checkStatus.get(), "check");
            } else {
                res.send(200, "upstream secure\n");
            }
        }));
        TestUpstream b = named("b");
        int port = proxy("upstreams = [\"" + secure.httpsUrl("localhost") + "\", \"" + b.url() + "\"]\n"
                + "tls { ca-file = \"" + TestTls.caFile().toString().replace("\\", "\\\\") + "\" }\n"
                + "health { active { enabled = true, path = \"/healthz\", interval = 100ms, healthy-threshold = 1,"
                + " unhealthy-threshold = 1 } }");
        await(() -> checkSni.get() != null, "a check over TLS");
        assertEquals("localhost", checkSni.get(), "SNI sent, certificate verified against the route's CA");
        assertEquals(Map.of("upstream secure", 5, "upstream b", 5), counts(port, 10));
        checkStatus.set(500);
        await(() -> anyLine(health, "https://localhost:" + secure.port(), "marked down"), "secure marked down");
        assertEquals(Map.of("upstream b", 10), counts(port, 10));
    }

    @Test
    void noMoreThanMaxEjectionPercentOfTheUpstreamsAreEjected() throws Exception {
        TestUpstream c = named("c");
        TestUpstream d = named("d");
        int deadA = TestUpstream.closedPort();
        int deadB = TestUpstream.closedPort();
        int port = proxy("upstreams = [\"http://127.0.0.1:" + deadA + "\", \"http://127.0.0.1:" + deadB + "\", \""
                + c.url() + "\", \"" + d.url() + "\"]\n"
                + "health { passive { consecutive-failures = 1, max-ejection-percent = 25 } }\n"
                + "retries { attempts = 4 }");
        Map<String, Integer> counts = counts(port, 30);
        assertEquals(30, counts.getOrDefault("upstream c", 0) + counts.getOrDefault("upstream d", 0),
                "every request served through retries: " + counts);
        await(() -> anyLine(health, "stays in", "1 of 4 upstreams are ejected already", "max-ejection-percent 25"),
                "a second dead upstream kept in");
        assertEquals(1, health.stream().filter(l -> l.contains("ejected for")).count(), health.toString());
        assertEquals(1, health.stream().filter(l -> l.contains("stays in")).count(),
                "said once, not at every failure of the kept-in upstream: " + health);
    }

    @Test
    void retriesGoToAnotherUpstreamOnlyWhenTheRequestCanBeSentAgain() throws Exception {
        AtomicInteger dropped = new AtomicInteger();
        TestUpstream dropper = proxies.keep(TestUpstream.start("dropper", (req, res) -> {
            dropped.incrementAndGet();
            throw new IOException("closing without an answer");
        }));
        TestUpstream b = proxies.keep(TestUpstream.start("b", (req, res) ->
                res.send(200, "upstream b\nbody " + req.bodyLength() + " " + req.bodySha256())));
        int port = proxy("upstreams = [\"" + dropper.url() + "\", \"" + b.url() + "\"], selector = first\n"
                + "health { passive { consecutive-failures = 0 } }\n"
                + "retries { attempts = 2, replay-buffer = 1k }");

        RawHttpClient.Response get = send(port, "GET /get HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(200, get.status());
        assertTrue(get.bodyText().startsWith("upstream b\n"), get.bodyText());
        await(() -> anyLine(access, "\"GET /get HTTP/1.1\" 200", "upstream=" + addr(b), "attempts=2",
                "tried=" + addr(dropper) + "," + addr(b)), "the access line of the retried GET");

        byte[] small = new byte[500];
        java.util.Arrays.fill(small, (byte) 'x');
        RawHttpClient.Response put = send(port, "PUT /small HTTP/1.1\r\nHost: h\r\nContent-Length: 500\r\n\r\n"
                + new String(small, StandardCharsets.ISO_8859_1));
        assertEquals(200, put.status(), "an idempotent request whose body was kept");
        assertTrue(put.bodyText().endsWith("body 500 " + sha256(small)), "the body arrives whole: " + put.bodyText());

        assertEquals(502, send(port, "POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi").status(),
                "a POST may have been processed: not sent twice");
        await(() -> anyLine(access, "\"POST /post HTTP/1.1\" 502", "attempts=1", "error=upstream_closed"),
                "the POST's access line");
        assertEquals(200, send(port, "POST /keyed HTTP/1.1\r\nHost: h\r\nIdempotency-Key: k1\r\n"
                + "Content-Length: 2\r\n\r\nhi").status(), "unless it carries an Idempotency-Key");

        byte[] large = new byte[4000];
        assertEquals(502, send(port, "PUT /large HTTP/1.1\r\nHost: h\r\nContent-Length: 4000\r\n\r\n"
                + new String(large, StandardCharsets.ISO_8859_1)).status(), "a body past the replay buffer");
        assertEquals(5, dropped.get());
    }

    @Test
    void aConfiguredStatusIsRetriedOnAnotherUpstreamWhetherOrNotUpstreamFailuresAreToo() throws Exception {
        TestUpstream busy = proxies.keep(TestUpstream.start("busy", (req, res) -> res.send(503, "busy")));
        TestUpstream b = named("b");
        for (boolean onFailure : new boolean[] {true, false}) {
            int port = proxy("upstreams = [\"" + busy.url() + "\", \"" + b.url() + "\"], selector = first\n"
                    + "health { passive { consecutive-failures = 0 } }\n"
                    + "retries { on-statuses = [503], on-upstream-failure = " + onFailure + " }");
            assertEquals("upstream b", servedBy(port, "/"), "on-upstream-failure = " + onFailure);
        }
        await(() -> access.stream().filter(l -> l.contains(" 200 ") && l.contains("attempts=2")
                && l.contains("tried=" + addr(busy) + "," + addr(b))).count() == 2, "both retries");
    }

    /**
     * A retry takes no turn of the rotation: with one upstream of two dead (and passive health off, so it stays),
     * half of the first attempts meet it, not all of them; and when the budget is spent, the other half still work.
     */
    @Test
    void retriesDoNotMoveTheRoundRobinRotationOfFirstAttempts() throws Exception {
        TestUpstream a = named("a");
        int dead = TestUpstream.closedPort();
        int port = proxy("upstreams = [\"" + a.url() + "\", \"http://127.0.0.1:" + dead + "\"]\n"
                + "health { passive { consecutive-failures = 0 } }\n"
                + "retries { attempts = 2, budget { percent = 0, min-per-second = 1, window = 10s } }");
        int ok = 0;
        for (int i = 0; i < 40; i++) {
            ok += servedBy(port, "/").equals("upstream a") ? 1 : 0;
        }
        // 20 first attempts at a, 20 at the dead one, of which the budget (1 per second over 10 s) retries 10
        assertTrue(ok >= 28 && ok <= 32, "requests served: " + ok + " of 40");
    }

    @Test
    void aSpentRetryBudgetStopsRetries() throws Exception {
        TestUpstream b = named("b");
        int dead = TestUpstream.closedPort();
        int port = proxy("upstreams = [\"http://127.0.0.1:" + dead + "\", \"" + b.url() + "\"], selector = first\n"
                + "health { passive { consecutive-failures = 0 } }\n"
                + "retries { budget { percent = 0, min-per-second = 0 } }");
        assertEquals("status 502", servedBy(port, "/"));
        await(() -> anyLine(access, " 502 ", "attempts=1", "error=upstream_refused"), "the refused request");
    }

    @Test
    void aReturningUpstreamStartsWithASmallShareUnderSlowStart() throws Exception {
        TestUpstream a = named("a");
        TestUpstream b = named("b");
        int port = proxy("upstreams = [\"" + a.url() + "\", \"" + b.url() + "\"], selector = weighted-round-robin\n"
                + "health { passive { consecutive-failures = 1, base-ejection-time = 500ms }, slow-start = 60s }");
        int aPort = a.port();
        a.close();
        counts(port, 4);
        await(() -> anyLine(health, "upstream http://127.0.0.1:" + aPort, "ejected for"), "a's ejection");
        proxies.keep(TestUpstream.start("a", aPort, (req, res) -> res.send(200, "upstream a\n")));
        await(() -> anyLine(health, "upstream http://127.0.0.1:" + aPort, "is back after its ejection"), "a back");
        Map<String, Integer> counts = Proxies.countsOnOneConnection(port, 110);
        int returning = counts.getOrDefault("upstream a", 0);
        // a tenth of its weight against the full weight of b: 10 of 110 (1 in 11) while the first step lasts
        assertTrue(returning >= 1 && returning <= 27, "the returning upstream served " + returning + " of 110: "
                + counts);
    }

    private static String sha256(byte[] bytes) {
        return java.util.HexFormat.of().formatHex(TestUpstream.sha256().digest(bytes));
    }
}
