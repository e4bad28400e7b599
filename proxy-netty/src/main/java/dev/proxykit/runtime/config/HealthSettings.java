package dev.proxykit.runtime.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code health { ... }} under {@code proxykit}, overridable key by key in a route: how the engine decides which
 * upstreams are live.
 *
 * @param passive   {@code passive}: ejection after failures of real requests
 * @param active    {@code active}: periodic HTTP checks
 * @param slowStart {@code slow-start}: over this window a host that becomes live again ramps from 10% of its weight
 *                  to all of it; zero turns slow start off
 */
public record HealthSettings(PassiveHealth passive, ActiveHealth active, Duration slowStart) {

    /** Everything off: every upstream is always live. */
    public static final HealthSettings NONE = new HealthSettings(PassiveHealth.OFF, ActiveHealth.OFF, Duration.ZERO);

    public HealthSettings {
        Objects.requireNonNull(passive, "passive");
        Objects.requireNonNull(active, "active");
        Objects.requireNonNull(slowStart, "slowStart");
    }
}
