package dev.proxykit.runtime.config;

import java.time.Duration;

/**
 * {@code retries { ... }} under {@code proxykit}, overridable key by key in a route: when a request is tried again
 * on another upstream.
 *
 * <p>A request whose connection attempt failed (refused, timed out, TLS) is always retried on another upstream:
 * nothing of it reached anyone. One whose upstream failed after the request was sent (reset or closed before any
 * response byte, an invalid response head, or a status in {@code onStatuses}) is retried only when
 * {@code onUpstreamFailure} is on, its method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE, or it carries
 * an {@code Idempotency-Key}), nothing has been sent to the client yet, and its body fits the replay buffer.
 *
 * @param attempts             the most upstream attempts per request, the first included ({@code attempts}, 1 turns
 *                             retries off)
 * @param onUpstreamFailure    retry idempotent requests after an upstream failure ({@code on-upstream-failure})
 * @param onStatuses           statuses that make an idempotent request be retried ({@code on-statuses})
 * @param replayBuffer         the largest request body kept for a replay, in bytes ({@code replay-buffer})
 * @param budgetPercent        retries may be at most this share of the route's requests ({@code budget.percent})
 * @param budgetMinPerSecond   retries always allowed per second of the window ({@code budget.min-per-second})
 * @param budgetWindow         the window the budget counts over ({@code budget.window})
 */
public record RetrySettings(int attempts, boolean onUpstreamFailure, StatusSet onStatuses, long replayBuffer,
                            int budgetPercent, int budgetMinPerSecond, Duration budgetWindow) {

    /** No retries. */
    public static final RetrySettings NONE = new RetrySettings(1, false, StatusSet.NONE, 0, 0, 0,
            Duration.ofSeconds(10));
}
