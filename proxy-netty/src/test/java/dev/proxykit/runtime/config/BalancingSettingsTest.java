package dev.proxykit.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.Upstream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The schema of health, retries and weighted upstreams, globally and per route. */
class BalancingSettingsTest {

    private static ProxySettings parse(String hocon) throws ConfigProblems {
        return ConfigLoader.parse(hocon, "test.conf", null);
    }

    private static RouteSettings route(String routeBody) throws ConfigProblems {
        return parse("proxykit { routes = [{ upstreams = [\"http://127.0.0.1:9292\"], " + routeBody + " }] }")
                .routes().get(0);
    }

    private static List<String> problems(String hocon) {
        return assertThrows(ConfigProblems.class, () -> parse(hocon)).problems();
    }

    private static String routeProblem(String routeBody) {
        List<String> problems = problems("proxykit { routes = [{ upstreams = [\"http://127.0.0.1:9292\"],\n"
                + routeBody + " }] }");
        assertEquals(1, problems.size(), String.join("\n", problems));
        return problems.get(0);
    }

    @Test
    void everyHealthAndRetrySettingHasItsDefault() throws Exception {
        RouteSettings r = route("");
        PassiveHealth passive = r.health().passive();
        assertEquals(5, passive.consecutiveFailures());
        assertEquals(StatusSet.of(List.of("502", "503", "504")), passive.failureStatuses());
        assertEquals(Duration.ofSeconds(30), passive.baseEjectionTime());
        assertEquals(Duration.ofSeconds(300), passive.maxEjectionTime());
        assertEquals(50, passive.maxEjectionPercent());
        assertTrue(passive.enabled());
        ActiveHealth active = r.health().active();
        assertFalse(active.enabled());
        assertEquals("/", active.path());
        assertEquals(Duration.ofSeconds(10), active.interval());
        assertEquals(Duration.ofSeconds(2), active.timeout());
        assertTrue(active.expectedStatuses().contains(200) && active.expectedStatuses().contains(302));
        assertFalse(active.expectedStatuses().contains(404));
        assertEquals(2, active.healthyThreshold());
        assertEquals(3, active.unhealthyThreshold());
        assertEquals(Duration.ZERO, r.health().slowStart());
        RetrySettings retries = r.retries();
        assertEquals(new RetrySettings(3, true, StatusSet.NONE, 64 * 1024, 20, 10, Duration.ofSeconds(10)), retries);
    }

    @Test
    void aRouteOverridesKeyByKeyAndInheritsTheRestIncludingNestedBlocks() throws Exception {
        ProxySettings s = parse("""
                proxykit {
                  health.passive.base-ejection-time = 5s
                  retries.budget.percent = 50
                  routes = [
                    { upstreams = ["http://127.0.0.1:9292"]
                      health { passive { consecutive-failures = 2 }, active { enabled = true, path = "/health" },
                               slow-start = 20s }
                      retries { attempts = 2, on-statuses = [503, "4xx"], budget { window = 30s } } },
                    { upstreams = ["http://127.0.0.1:9293"] }
                  ]
                }
                """);
        RouteSettings first = s.routes().get(0);
        assertEquals(2, first.health().passive().consecutiveFailures());
        assertEquals(Duration.ofSeconds(5), first.health().passive().baseEjectionTime(), "from the global block");
        assertEquals(50, first.health().passive().maxEjectionPercent(), "from reference.conf");
        assertTrue(first.health().active().enabled());
        assertEquals("/health", first.health().active().path());
        assertEquals(Duration.ofSeconds(10), first.health().active().interval());
        assertEquals(Duration.ofSeconds(20), first.health().slowStart());
        assertEquals(2, first.retries().attempts());
        assertTrue(first.retries().onStatuses().contains(503) && first.retries().onStatuses().contains(429));
        assertFalse(first.retries().onStatuses().contains(502));
        assertEquals(50, first.retries().budgetPercent(), "from the global block");
        assertEquals(Duration.ofSeconds(30), first.retries().budgetWindow());
        RouteSettings second = s.routes().get(1);
        assertEquals(5, second.health().passive().consecutiveFailures());
        assertEquals(Duration.ofSeconds(5), second.health().passive().baseEjectionTime());
        assertEquals(3, second.retries().attempts());
        assertEquals(50, second.retries().budgetPercent());
    }

    @Test
    void weightedUpstreamsParseAndWeightsDefaultToOne() throws Exception {
        RouteSettings r = parse("""
                proxykit { routes = [{ upstreams = [
                  "http://127.0.0.1:9292",
                  { url = "http://127.0.0.1:9293", weight = 3 },
                  { url = "http://127.0.0.1:9294" }
                ] }] }
                """).routes().get(0);
        assertEquals(List.of(1, 3, 1), r.upstreams().stream().map(Upstream::weight).toList());
        List<String> problems = problems("""
                proxykit { routes = [{ upstreams = [
                  { url = "http://127.0.0.1:9293", weight = 0 },
                  { url = "http://127.0.0.1:9294", weight = 2, backup = true }
                ] }] }
                """);
        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).contains("proxykit.routes[0].upstreams[0].weight")
                && problems.get(0).contains("1 to 1000000"), problems.get(0));
        assertTrue(problems.get(1).contains("upstreams[1].backup"), problems.get(1));
    }

    /** Asserts that the route body has exactly one problem and that it holds every one of {@code words}. */
    private static void assertRouteProblem(String routeBody, String... words) {
        String p = routeProblem(routeBody);
        for (String w : words) {
            assertTrue(p.contains(w), "\"" + w + "\" missing from: " + p);
        }
    }

    @Test
    void badValuesAreReportedWithKeyLineAndExpectation() {
        assertRouteProblem("health { passive { failure-statuses = [502, \"6xx\"] } }",
                "proxykit.routes[0].health.passive.failure-statuses[1]", "test.conf:2", "a status from 100 to 599");
        assertRouteProblem("health { passive { base-ejection-time = 60s, max-ejection-time = 1500ms } }",
                "max-ejection-time", "1500ms is shorter than base-ejection-time (60s)", "at least base-ejection-time");
        assertRouteProblem("health { passive { max-ejection-percent = 150 } }", "max-ejection-percent", "0 to 100");
        assertRouteProblem("health { active { path = health } }", "health.active.path", "starting with \"/\"");
        assertRouteProblem("health { active { expected-statuses = [] } }", "expected-statuses", "an empty list");
        assertRouteProblem("health { active { interval = 5 } }", "health.active.interval", "has no unit");
        assertRouteProblem("health { active { healthy-threshold = 0 } }", "healthy-threshold", "1 to 1000");
        assertRouteProblem("retries { attempts = 0 }", "retries.attempts", "1 (no retries) to 10");
        assertRouteProblem("retries { replay-buffer = 1g }", "retries.replay-buffer", "up to 16m");
        assertRouteProblem("retries { budget { percent = x } }", "retries.budget.percent");
        assertRouteProblem("retries { budget = 20 }", "retries.budget", "a block budget");
    }

    @Test
    void unknownKeysInEveryNestedBlockAreReported() {
        List<String> problems = problems("""
                proxykit {
                  health { pasive { } }
                  routes = [{ upstreams = ["http://127.0.0.1:9292"]
                    health { active { intervall = 5s } }
                    retries { budget { min-per-sec = 1 }, tries = 2 } }]
                }
                """);
        String all = String.join("\n", problems);
        assertEquals(4, problems.size(), all);
        assertTrue(all.contains("proxykit.health.pasive"), all);
        assertTrue(all.contains("proxykit.routes[0].health.active.intervall"), all);
        assertTrue(all.contains("proxykit.routes[0].retries.budget.min-per-sec"), all);
        assertTrue(all.contains("proxykit.routes[0].retries.tries"), all);
    }

    @Test
    void statusSetsTakeCodesAndClasses() {
        StatusSet set = StatusSet.of(List.of("502", "4xx"));
        assertTrue(set.contains(502) && set.contains(400) && set.contains(499));
        assertFalse(set.contains(500) || set.contains(503) || set.contains(-1) || set.contains(700));
        assertEquals("[502, 4xx]", set.toString());
        assertTrue(StatusSet.NONE.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> StatusSet.of(List.of("600")));
        assertThrows(IllegalArgumentException.class, () -> StatusSet.of(List.of("5XX")));
    }
}
