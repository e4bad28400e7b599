package dev.proxykit.runtime.config;

import java.time.Duration;

/**
 * {@code health.active { ... }}: a periodic HTTP request to every upstream of the route (nginx Plus
 * {@code health_check}, Envoy's HTTP health checker).
 *
 * @param enabled            whether checks run ({@code enabled})
 * @param path               the request target of the check, starting with {@code /} ({@code path})
 * @param interval           time between the end of one check and the start of the next ({@code interval})
 * @param timeout            a check not answered within this counts as failed ({@code timeout})
 * @param expectedStatuses   statuses that count as healthy ({@code expected-statuses})
 * @param healthyThreshold   passed checks in a row that bring a down upstream back ({@code healthy-threshold})
 * @param unhealthyThreshold failed checks in a row that mark an upstream down ({@code unhealthy-threshold})
 */
public record ActiveHealth(boolean enabled, String path, Duration interval, Duration timeout,
                           StatusSet expectedStatuses, int healthyThreshold, int unhealthyThreshold) {

    /** No active checks. */
    public static final ActiveHealth OFF = new ActiveHealth(false, "/", Duration.ofSeconds(10), Duration.ofSeconds(2),
            StatusSet.of(java.util.List.of("2xx")), 1, 1);
}
