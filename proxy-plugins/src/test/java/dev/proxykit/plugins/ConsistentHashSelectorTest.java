package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.api.UpstreamSelector.Picker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConsistentHashSelectorTest {

    private static final int KEYS = 10_000;

    private static UpstreamSelector selector(String hocon) {
        return new ConsistentHashSelectorFactory().create(TestPluginContext.of("consistent-hash", hocon));
    }

    private static UpstreamSelector byHeader() {
        return selector("key = header, name = X-User");
    }

    private static List<Upstream> upstreams(int n) {
        List<Upstream> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(Upstream.parse("http://10.0.0." + (i + 1) + ":8080"));
        }
        return list;
    }

    private static RequestInfo user(String id) {
        return TestRequest.of(Picks.A, "GET", "/", "X-User", id).inbound();
    }

    /** Where each of {@link #KEYS} user keys goes. */
    private static Map<String, Upstream> assignment(Picker picker) {
        Map<String, Upstream> map = new HashMap<>();
        for (int k = 0; k < KEYS; k++) {
            String id = "user-" + k;
            map.put(id, picker.pick(user(id)));
        }
        return map;
    }

    @Test
    void theSameKeyAlwaysGoesToTheSameUpstream() {
        Picker picker = byHeader().picker(upstreams(5));
        Upstream first = picker.pick(user("alice"));
        for (int i = 0; i < 20; i++) {
            assertEquals(first, picker.pick(user("alice")));
        }
        assertEquals(first, byHeader().picker(upstreams(5)).pick(user("alice")),
                "a new table for the same upstreams (after a restart, say) maps the key the same way");
    }

    @Test
    void keysSpreadEvenlyOverTheUpstreams() {
        Map<Upstream, Integer> counts = new HashMap<>();
        assignment(byHeader().picker(upstreams(5))).values().forEach(u -> counts.merge(u, 1, Integer::sum));
        assertEquals(5, counts.size());
        for (int n : counts.values()) {
            assertTrue(Math.abs(n - KEYS / 5) < KEYS / 5 * 0.15, "keys per upstream: " + counts.values());
        }
    }

    @Test
    void removingOneOfTenUpstreamsRemapsCloseToATenthOfTheKeys() {
        List<Upstream> all = upstreams(10);
        UpstreamSelector selector = byHeader();
        Map<String, Upstream> before = assignment(selector.picker(all));
        Upstream removed = all.get(3);
        List<Upstream> remaining = new ArrayList<>(all);
        remaining.remove(removed);
        Map<String, Upstream> after = assignment(selector.picker(remaining));
        int moved = 0;
        int movedFromOthers = 0;
        int onRemoved = 0;
        for (String key : before.keySet()) {
            boolean wasOnRemoved = before.get(key).equals(removed);
            onRemoved += wasOnRemoved ? 1 : 0;
            if (!before.get(key).equals(after.get(key))) {
                moved++;
                movedFromOthers += wasOnRemoved ? 0 : 1;
            }
        }
        double share = (double) moved / KEYS;
        // every key of the removed upstream must move (about 1/10); Maglev moves only a few others besides
        assertTrue(share >= 0.08 && share <= 0.13, "moved " + moved + " of " + KEYS + " keys (" + share + ")");
        assertTrue(movedFromOthers <= KEYS * 0.03, movedFromOthers + " keys moved between upstreams that stayed");
        assertEquals(onRemoved, moved - movedFromOthers);
        assertEquals(before, assignment(selector.picker(all)), "putting it back restores every key");
    }

    @Test
    void weightsSetEachUpstreamsShareOfTheTable() {
        Upstream heavy = Upstream.parse("http://10.0.0.1:8080", 3);
        Upstream light = Upstream.parse("http://10.0.0.2:8080", 1);
        MaglevTable table = new MaglevTable(List.of(heavy, light), 65537);
        double share = table.slotsOf(heavy) / 65537.0;
        assertEquals(0.75, share, 0.01);
        assertEquals(65537, table.slotsOf(heavy) + table.slotsOf(light));
    }

    @Test
    void aCookieKeyIsFoundAmongOtherCookies() {
        Picker picker = selector("key = cookie, name = session").picker(upstreams(7));
        Upstream u = picker.pick(TestRequest.of(Picks.A, "GET", "/", "Cookie", "session=abc123").inbound());
        for (String cookies : List.of("a=1; session=abc123", "a=1;session=abc123; b=2", "xsession=1; session=abc123")) {
            assertEquals(u, picker.pick(TestRequest.of(Picks.A, "GET", "/", "Cookie", cookies).inbound()), cookies);
        }
        assertEquals(-1, ConsistentHashSelector.cookieValueStart("xsession=1; sessions=2", "session"));
        assertEquals(8, ConsistentHashSelector.cookieValueStart("session=", "session"));
    }

    @Test
    void thePathKeyIgnoresTheQuery() {
        Picker picker = selector("key = path").picker(upstreams(7));
        Upstream u = picker.pick(TestRequest.of(Picks.A, "GET", "/users/42").inbound());
        assertEquals(u, picker.pick(TestRequest.of(Picks.A, "GET", "/users/42?page=2").inbound()));
        Set<Upstream> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(picker.pick(TestRequest.of(Picks.A, "GET", "/users/" + i).inbound()));
        }
        assertEquals(7, seen.size(), "different paths spread");
    }

    @Test
    void theClientAddressKeyStaysOnOneUpstreamForOneClient() {
        Picker picker = selector("").picker(upstreams(7));
        Upstream u = picker.pick(Picks.REQUEST);
        for (int i = 0; i < 10; i++) {
            assertEquals(u, picker.pick(TestRequest.of(Picks.A, "POST", "/other").inbound()));
        }
    }

    @Test
    void aRequestWithoutTheKeyIsSpreadAtRandomOrByClientAddressAsConfigured() {
        Picker random = byHeader().picker(upstreams(7));
        Set<Upstream> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            seen.add(random.pick(Picks.REQUEST));
        }
        assertEquals(7, seen.size(), "random fallback");
        Picker byClient = selector("key = header, name = X-User, fallback = client-ip").picker(upstreams(7));
        Upstream u = byClient.pick(Picks.REQUEST);
        for (int i = 0; i < 20; i++) {
            assertEquals(u, byClient.pick(Picks.REQUEST), "client-ip fallback");
        }
    }

    @Test
    void anEmptySnapshotPicksNull() {
        assertNull(byHeader().picker(List.of()).pick(user("x")));
    }

    @Test
    void concurrentPicksOfOneKeyAllAgree() throws InterruptedException {
        Picks.Concurrent result = Picks.concurrently(selector("").picker(upstreams(9)), 4, 10_000);
        assertEquals(0, result.nulls());
        assertEquals(1, result.counts().size(), "one client, one upstream: " + result.counts());
    }

    @Test
    void settingsAreValidated() {
        assertNotNull(selector("key = path"));
        assertInvalid(() -> selector("key = query"), "key", "header, cookie, client-ip or path");
        assertInvalid(() -> selector("key = header"), "name", "the header name", "found: null");
        assertInvalid(() -> selector("key = cookie, name = \"a b\""), "name", "the cookie name");
        assertInvalid(() -> selector("key = path, name = x"), "name", "only key = header or key = cookie");
        assertInvalid(() -> selector("fallback = first"), "fallback", "random or client-ip");
        assertInvalid(() -> selector("table-size = 65536"), "table-size", "a prime", "not prime");
        assertInvalid(() -> selector("table-size = 7"), "table-size", "101");
        assertInvalid(() -> selector("ring = 1"), "ring", "consistent-hash");
        assertTrue(MaglevTable.isPrime(65537) && MaglevTable.isPrime(101) && !MaglevTable.isPrime(1));
    }
}
