package dev.proxykit.runtime.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The schema of {@code health { ... }} and {@code retries { ... }}, under {@code proxykit} and in routes. A global
 * block ({@code fallback == null}) must give every key (reference.conf does); a route's block gives only what it
 * changes, every other key falling back to the global value, nested blocks included. Records every problem;
 * confined to the reading thread.
 */
final class BalancingReader {

    static final String HEALTH = "a block health { passive { ... }, active { ... }, slow-start = ... }";
    static final String RETRIES = "a block retries { attempts = 3, ... }";

    private static final String STATUSES = "a list of statuses (100 to 599) and classes, such as [502, 503, 504] or"
            + " [\"5xx\"]";
    private static final String PERCENT = "a whole number from 0 to 100";
    private static final String THRESHOLD = "a whole number from 1 to 1000";
    private static final String BOOLEAN = "true or false";
    private static final long MAX_REPLAY = 16L << 20;

    private final Problems problems;
    private final ValueReader values;

    BalancingReader(ValueReader values) {
        this.values = values;
        this.problems = values.problems();
    }

    /** {@code health { ... }}; {@code null} when a problem was recorded. */
    HealthSettings health(ConfigValue value, String key, HealthSettings fallback) {
        Block b = block(value, key, HEALTH);
        if (b == null) {
            return null;
        }
        boolean global = fallback == null;
        PassiveHealth passive = b.read("passive", global, global ? null : fallback.passive(),
                "a block passive { consecutive-failures = 5, ... }",
                (v, k) -> passive(v, k, global ? null : fallback.passive()));
        ActiveHealth active = b.read("active", global, global ? null : fallback.active(),
                "a block active { enabled = true, path = \"/health\", ... }",
                (v, k) -> active(v, k, global ? null : fallback.active()));
        Duration slowStart = b.read("slow-start", global, global ? null : fallback.slowStart(), ValueReader.DURATION,
                (v, k) -> values.duration(v, k, true));
        b.rejectUnknownKeys();
        return passive == null || active == null || slowStart == null ? null
                : new HealthSettings(passive, active, slowStart);
    }

    private PassiveHealth passive(ConfigValue value, String key, PassiveHealth fallback) {
        Block b = block(value, key, "a block passive { consecutive-failures = 5, ... }");
        if (b == null) {
            return null;
        }
        boolean global = fallback == null;
        PassiveHealth base = global ? new PassiveHealth(0, null, null, null, 0) : fallback;
        String failuresExpected = "0 to turn passive ejection off, or a whole number from 1 to 1000";
        Integer failures = b.read("consecutive-failures", global, global ? null : base.consecutiveFailures(),
                failuresExpected, (v, k) -> values.integer(v, k, 0, 1000, failuresExpected));
        StatusSet statuses = b.read("failure-statuses", global, base.failureStatuses(), STATUSES, this::statuses);
        Duration baseTime = b.read("base-ejection-time", global, base.baseEjectionTime(),
                ValueReader.POSITIVE_DURATION, (v, k) -> values.duration(v, k, false));
        Duration maxTime = b.read("max-ejection-time", global, base.maxEjectionTime(), ValueReader.POSITIVE_DURATION,
                (v, k) -> values.duration(v, k, false));
        Integer percent = b.read("max-ejection-percent", global, global ? null : base.maxEjectionPercent(), PERCENT,
                (v, k) -> values.integer(v, k, 0, 100, PERCENT));
        b.rejectUnknownKeys();
        if (baseTime != null && maxTime != null && maxTime.compareTo(baseTime) < 0) {
            problems.add(origin(b, "max-ejection-time"), b.key("max-ejection-time"),
                    ConfigMessages.duration(maxTime) + " is shorter than base-ejection-time ("
                            + ConfigMessages.duration(baseTime) + ")",
                    "at least base-ejection-time");
            return null;
        }
        if (failures == null || statuses == null || baseTime == null || maxTime == null || percent == null) {
            return null;
        }
        return new PassiveHealth(failures, statuses, baseTime, maxTime, percent);
    }

    private ActiveHealth active(ConfigValue value, String key, ActiveHealth fallback) {
        Block b = block(value, key, "a block active { enabled = true, path = \"/health\", ... }");
        if (b == null) {
            return null;
        }
        boolean global = fallback == null;
        ActiveHealth base = global ? new ActiveHealth(false, null, null, null, null, 0, 0) : fallback;
        Boolean enabled = b.read("enabled", global, global ? null : base.enabled(), BOOLEAN, values::bool);
        String pathExpected = "a request target starting with \"/\", such as \"/health\", without spaces";
        String path = b.read("path", global, base.path(), pathExpected, (v, k) -> {
            String p = values.string(v, k, pathExpected);
            if (p != null && (!p.startsWith("/") || p.chars().anyMatch(c -> c <= ' ' || c >= 0x7F))) {
                return values.invalid(v, k, pathExpected);
            }
            return p;
        });
        Duration interval = b.read("interval", global, base.interval(), ValueReader.POSITIVE_DURATION,
                (v, k) -> values.duration(v, k, false));
        Duration timeout = b.read("timeout", global, base.timeout(), ValueReader.POSITIVE_DURATION,
                (v, k) -> values.duration(v, k, false));
        StatusSet expected = b.read("expected-statuses", global, base.expectedStatuses(), STATUSES, this::statuses);
        Integer healthy = b.read("healthy-threshold", global, global ? null : base.healthyThreshold(), THRESHOLD,
                (v, k) -> values.integer(v, k, 1, 1000, THRESHOLD));
        Integer unhealthy = b.read("unhealthy-threshold", global, global ? null : base.unhealthyThreshold(),
                THRESHOLD, (v, k) -> values.integer(v, k, 1, 1000, THRESHOLD));
        b.rejectUnknownKeys();
        if (expected != null && expected.isEmpty()) {
            problems.add(origin(b, "expected-statuses"), b.key("expected-statuses"), "an empty list",
                    "at least one status or class, such as [\"2xx\"]");
            return null;
        }
        if (enabled == null || path == null || interval == null || timeout == null || expected == null
                || healthy == null || unhealthy == null) {
            return null;
        }
        return new ActiveHealth(enabled, path, interval, timeout, expected, healthy, unhealthy);
    }

    /** {@code retries { ... }}; {@code null} when a problem was recorded. */
    RetrySettings retries(ConfigValue value, String key, RetrySettings fallback) {
        Block b = block(value, key, RETRIES);
        if (b == null) {
            return null;
        }
        boolean global = fallback == null;
        RetrySettings base = global ? new RetrySettings(0, false, null, 0, 0, 0, null) : fallback;
        String attemptsExpected = "a whole number from 1 (no retries) to 10";
        Integer attempts = b.read("attempts", global, global ? null : base.attempts(), attemptsExpected,
                (v, k) -> values.integer(v, k, 1, 10, attemptsExpected));
        Boolean onFailure = b.read("on-upstream-failure", global, global ? null : base.onUpstreamFailure(), BOOLEAN,
                values::bool);
        StatusSet onStatuses = b.read("on-statuses", global, base.onStatuses(), STATUSES, this::statuses);
        String replayExpected = "0 to replay bodyless requests only, or a size up to 16m, such as 64k";
        Long replay = b.read("replay-buffer", global, global ? null : base.replayBuffer(), replayExpected,
                (v, k) -> values.bytes(v, k, 0, MAX_REPLAY, replayExpected));
        Integer[] budget = {global ? null : base.budgetPercent(), global ? null : base.budgetMinPerSecond()};
        Duration[] window = {base.budgetWindow()};
        ConfigValue budgetValue = b.get("budget");
        String budgetExpected = "a block budget { percent = 20, min-per-second = 10, window = 10s }";
        boolean budgetOk = true;
        if (budgetValue == null) {
            if (global) {
                problems.add(b.origin(), b.key("budget"), "missing", budgetExpected);
                budgetOk = false;
            }
        } else {
            Block bb = block(budgetValue, b.key("budget"), budgetExpected);
            if (bb == null) {
                budgetOk = false;
            } else {
                budget[0] = bb.read("percent", global, budget[0], PERCENT,
                        (v, k) -> values.integer(v, k, 0, 100, PERCENT));
                String minExpected = "a whole number from 0 to 1000000";
                budget[1] = bb.read("min-per-second", global, budget[1], minExpected,
                        (v, k) -> values.integer(v, k, 0, 1_000_000, minExpected));
                window[0] = bb.read("window", global, window[0], ValueReader.POSITIVE_DURATION,
                        (v, k) -> values.duration(v, k, false));
                bb.rejectUnknownKeys();
            }
        }
        b.rejectUnknownKeys();
        if (!budgetOk || attempts == null || onFailure == null || onStatuses == null || replay == null
                || budget[0] == null || budget[1] == null || window[0] == null) {
            return null;
        }
        return new RetrySettings(attempts, onFailure, onStatuses, replay, budget[0], budget[1], window[0]);
    }

    private StatusSet statuses(ConfigValue value, String key) {
        List<ConfigValue> entries = values.list(value, key, STATUSES);
        if (entries == null) {
            return null;
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            ConfigValue e = entries.get(i);
            if (e.valueType() != ConfigValueType.NUMBER && e.valueType() != ConfigValueType.STRING) {
                return values.invalid(e, key + "[" + i + "]", "a status such as 502 or a class such as \"5xx\"");
            }
            String text = String.valueOf(e.unwrapped());
            try {
                StatusSet.of(List.of(text));
            } catch (IllegalArgumentException ex) {
                return values.invalid(e, key + "[" + i + "]", "a status from 100 to 599 or a class from \"1xx\" to"
                        + " \"5xx\"");
            }
            texts.add(text);
        }
        return StatusSet.of(texts);
    }

    private Block block(ConfigValue value, String key, String expected) {
        ConfigObject object = values.object(value, key, expected);
        return object == null ? null : new Block(object, key, problems);
    }

    private static com.typesafe.config.ConfigOrigin origin(Block b, String name) {
        ConfigValue v = b.get(name);
        return v == null ? b.origin() : v.origin();
    }
}
