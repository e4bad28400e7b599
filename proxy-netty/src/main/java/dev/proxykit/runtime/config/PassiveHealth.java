package dev.proxykit.runtime.config;

import java.time.Duration;

/**
 * {@code health.passive { ... }}: outlier ejection from the outcomes of real requests (Envoy's outlier detection,
 * nginx's {@code max_fails}/{@code fail_timeout}).
 *
 * @param consecutiveFailures failures in a row that eject an upstream; 0 turns passive ejection off
 *                            ({@code consecutive-failures})
 * @param failureStatuses     response statuses that count as failures, besides connect failures, resets, invalid
 *                            responses and timeouts ({@code failure-statuses})
 * @param baseEjectionTime    how long a first ejection lasts; the k-th in a row lasts k times as long
 *                            ({@code base-ejection-time})
 * @param maxEjectionTime     the longest ejection ({@code max-ejection-time}), at least the base time
 * @param maxEjectionPercent  at most this share of the route's upstreams is ejected at once, but always at least one
 *                            ({@code max-ejection-percent}, 0 to 100)
 */
public record PassiveHealth(int consecutiveFailures, StatusSet failureStatuses, Duration baseEjectionTime,
                            Duration maxEjectionTime, int maxEjectionPercent) {

    /** Passive ejection off. */
    public static final PassiveHealth OFF = new PassiveHealth(0, StatusSet.NONE, Duration.ofSeconds(30),
            Duration.ofSeconds(300), 0);

    /** Whether upstreams are ejected at all. */
    public boolean enabled() {
        return consecutiveFailures > 0 && maxEjectionPercent > 0;
    }
}
