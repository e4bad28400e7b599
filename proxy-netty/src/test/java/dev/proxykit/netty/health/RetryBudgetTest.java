package dev.proxykit.netty.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    private RetryBudget budget(int percent, int minPerSecond) {
        return new RetryBudget(percent, minPerSecond, Duration.ofSeconds(10), now::get);
    }

    private static int retriesAllowed(RetryBudget budget, int tries) {
        int allowed = 0;
        for (int i = 0; i < tries; i++) {
            allowed += budget.tryRetry() ? 1 : 0;
        }
        return allowed;
    }

    @Test
    void retriesAreAtMostThePercentageOfRequests() {
        RetryBudget budget = budget(20, 0);
        for (int i = 0; i < 1000; i++) {
            budget.onRequest();
        }
        assertEquals(200, retriesAllowed(budget, 500));
    }

    @Test
    void theMinimumPerSecondIsAlwaysAllowedEvenWithoutTraffic() {
        RetryBudget budget = budget(20, 3);
        assertEquals(30, retriesAllowed(budget, 100), "3 per second over a 10 s window");
    }

    @Test
    void oldRequestsAndRetriesLeaveTheWindow() {
        RetryBudget budget = budget(50, 0);
        for (int i = 0; i < 100; i++) {
            budget.onRequest();
        }
        assertEquals(50, retriesAllowed(budget, 100));
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertFalse(budget.tryRetry(), "the requests that paid for retries are out of the window");
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        assertEquals(5, retriesAllowed(budget, 100), "the old retries are out of it too");
    }

    @Test
    void halfAWindowLaterHalfTheCountsRemain() {
        RetryBudget budget = budget(100, 0);
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        for (int i = 0; i < 10; i++) {
            budget.onRequest();
        }
        assertEquals(20, retriesAllowed(budget, 30));
        now.addAndGet(Duration.ofMillis(5_500).toNanos());
        // the first ten requests left the window; the twenty retries, counted later, did not
        assertFalse(budget.tryRetry(), "20 retries in the window against 10 requests");
        for (int i = 0; i < 15; i++) {
            budget.onRequest();
        }
        assertEquals(5, retriesAllowed(budget, 10), "25 requests now pay for 25 retries");
    }

    @Test
    void zeroPercentAndNoMinimumAllowsNothing() {
        RetryBudget budget = budget(0, 0);
        budget.onRequest();
        assertFalse(budget.tryRetry());
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new RetryBudget(101, 0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RetryBudget(10, -1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new RetryBudget(10, 1, Duration.ZERO));
    }
}
