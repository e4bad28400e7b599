package dev.proxykit.plugins;

import static dev.proxykit.plugins.ConfigAssertions.assertInvalid;
import static dev.proxykit.plugins.Picks.A;
import static dev.proxykit.plugins.Picks.B;
import static dev.proxykit.plugins.Picks.C;
import static dev.proxykit.plugins.Picks.REQUEST;
import static dev.proxykit.plugins.Picks.picks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirstSelectorTest {

    private static UpstreamSelector selector() {
        return new FirstSelectorFactory().create(TestPluginContext.of("first", ""));
    }

    @Test
    void alwaysPicksTheFirstLiveUpstreamInConfiguredOrder() {
        assertEquals(List.of(A, A, A), picks(selector().picker(List.of(A, B, C)), 3));
    }

    @Test
    void aBackupTakesOverWhileThePrimaryIsOutOfTheLiveSetAndHandsBack() {
        UpstreamSelector selector = selector();
        assertEquals(List.of(B, B), picks(selector.picker(List.of(B, C)), 2));
        assertEquals(List.of(A), picks(selector.picker(List.of(A, B, C)), 1));
    }

    @Test
    void ignoresWeightsAndPicksNullWhenEmpty() {
        assertEquals(List.of(A), picks(selector().picker(List.of(A, B.withWeight(100))), 1));
        assertNull(selector().picker(List.of()).pick(REQUEST));
    }

    @Test
    void concurrentPicksAllGoToTheFirst() throws InterruptedException {
        Picks.Concurrent result = Picks.concurrently(selector().picker(List.of(B, A, C)), 4, 10_000);
        assertEquals(0, result.nulls());
        assertEquals(40_000, result.of(B));
    }

    @Test
    void hasNoSettings() {
        assertInvalid(() -> new FirstSelectorFactory().create(TestPluginContext.of("first", "backup = 2")),
                "backup", "first", "expected: no settings");
    }
}
