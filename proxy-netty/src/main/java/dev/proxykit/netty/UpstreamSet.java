package dev.proxykit.netty;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import dev.proxykit.netty.health.HealthProbe;
import dev.proxykit.netty.health.RetryBudget;
import dev.proxykit.runtime.config.ActiveHealth;
import dev.proxykit.runtime.config.HealthSettings;
import dev.proxykit.runtime.config.PassiveHealth;
import dev.proxykit.runtime.config.RetrySettings;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstreams of one route and which of them are live: passive ejection (Envoy's outlier detection), active HTTP
 * checks, slow start, and the {@link Snapshot} the hot path picks from.
 *
 * <p><b>Threads.</b> Event loops only read the current snapshot (a volatile field), look targets up in immutable
 * maps, and report the end of each attempt through {@link #attemptEnded}, which costs an atomic operation at most.
 * Everything else (ejection decisions, active checks, slow-start steps, building pickers with
 * {@link UpstreamSelector#picker(List)}) runs on the engine's health loop, a single thread that serves no client, so
 * the plain fields of {@link HostState} need no locks and no selector code ever runs on an event loop after start.
 * Publishing is one volatile write: a pick sees either the old snapshot or the new one.
 */
final class UpstreamSet {

    private static final Logger LOG = LoggerFactory.getLogger("proxykit.health");

    /** What one attempt told about its upstream. */
    enum Outcome {
        /** The upstream answered with a status that is not a failure. */
        SUCCESS,
        /** Connect failure, reset, invalid response, timeout, or a failure status: counts towards ejection. */
        FAILURE,
        /** Nothing to learn (the client went away, a plugin failed): neither counts nor resets. */
        NEUTRAL
    }

    /**
     * One published state: the picker built for the live upstreams, and those upstreams' targets in configured
     * order (for choosing another one on a retry). Immutable.
     */
    record Snapshot(UpstreamSelector.Picker picker, UpstreamTarget[] live) {
    }

    private final String route;
    private final UpstreamSelector selector;
    private final HostState[] hosts;
    private final Map<UpstreamTarget, HostState> byTarget = new IdentityHashMap<>();
    private final Map<Upstream, UpstreamTarget> byInstance = new IdentityHashMap<>();
    private final Map<String, UpstreamTarget> byUrl = new HashMap<>();
    private final PassiveHealth passive;
    private final ActiveHealth active;
    private final long slowStartNanos;
    private final RetrySettings retries;
    private final RetryBudget budget;
    private final Consumer<UpstreamSelector.Picker> mirror;
    private volatile Snapshot snapshot;

    // health loop only
    private EventLoop loop;
    private Bootstrap probes;
    private boolean stopped;
    private boolean panicking;
    private long rebuildAt = Long.MAX_VALUE;

    /**
     * Builds the set with every upstream live and publishes the first snapshot. Runs at start-up, off the event
     * loops (it calls the selector).
     *
     * @param mirror also receives every picker published (the route keeps a copy in its {@code picker} field)
     */
    UpstreamSet(String route, List<UpstreamTarget> targets, UpstreamSelector selector, HealthSettings health,
                RetrySettings retries, Consumer<UpstreamSelector.Picker> mirror) {
        this.route = route;
        this.selector = selector;
        this.passive = health.passive();
        this.active = health.active();
        this.slowStartNanos = health.slowStart().toNanos();
        this.retries = retries;
        this.budget = retries.attempts() > 1
                ? new RetryBudget(retries.budgetPercent(), retries.budgetMinPerSecond(), retries.budgetWindow(),
                        LoopClock::currentNanoTime)
                : null;
        this.mirror = mirror;
        this.hosts = new HostState[targets.size()];
        for (int i = 0; i < hosts.length; i++) {
            HostState h = new HostState(targets.get(i));
            hosts[i] = h;
            byTarget.put(h.target, h);
            for (int k = 1; k <= HostState.RAMP_SCALE; k++) {
                byInstance.put(h.weighted[k], h.target);
            }
            byUrl.putIfAbsent(h.target.upstream.toString(), h.target);
        }
        List<Upstream> all = new ArrayList<>();
        for (HostState h : hosts) {
            all.add(h.target.upstream);
        }
        publish(selector.picker(List.copyOf(all)), targets.toArray(new UpstreamTarget[0]));
    }

    /** The current snapshot. Any thread. */
    Snapshot snapshot() {
        return snapshot;
    }

    /** The route's retry settings. */
    RetrySettings retries() {
        return retries;
    }

    /** The route's retry budget, or {@code null} when retries are off. */
    RetryBudget budget() {
        return budget;
    }

    /** How many upstreams the route has, live or not. */
    int size() {
        return hosts.length;
    }

    /**
     * The target for an upstream a picker returned: the instance itself (configured or slow-start weighted), or
     * failing that an upstream with the same URL; {@code null} when the route has no such upstream. Any thread.
     */
    UpstreamTarget target(Upstream u) {
        UpstreamTarget t = byInstance.get(u);
        return t != null ? t : byUrl.get(u.toString());
    }

    /**
     * Starts the health loop's work: active checks, when enabled. Passive ejection needs no start. Called once,
     * after the engine's loops exist.
     *
     * @param healthLoop the engine's health loop
     * @param probeBootstrap a bootstrap with channel type and resolver set, for active checks
     */
    void start(EventLoop healthLoop, Bootstrap probeBootstrap) {
        this.loop = healthLoop;
        this.probes = probeBootstrap;
        if (active.enabled()) {
            healthLoop.execute(() -> {
                long stagger = Math.min(active.interval().toNanos(), TimeUnit.SECONDS.toNanos(1)) / hosts.length;
                for (int i = 0; i < hosts.length; i++) {
                    HostState h = hosts[i];
                    healthLoop.schedule(() -> probe(h), stagger * i, TimeUnit.NANOSECONDS);
                }
            });
        }
    }

    /** Stops scheduling work; checks in flight finish (or die with the loop). Any thread. */
    void stop() {
        EventLoop l = loop;
        if (l != null && !l.isShuttingDown()) {
            try {
                l.execute(() -> stopped = true);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the loop is already shutting down: nothing more will run
            }
        }
    }

    // ------------------------------------------------------------------------------------------ hot path

    /**
     * The end of one attempt on {@code target}: counts a failure towards ejection, or resets the count after a
     * success. Called on event loops; a success costs one read when nothing needs resetting, a failure one atomic
     * increment, and the failure that reaches the threshold queues one decision on the health loop.
     */
    void attemptEnded(UpstreamTarget target, Outcome outcome) {
        if (!passive.enabled() || outcome == Outcome.NEUTRAL || hosts.length < 2) {
            return; // ejecting the only upstream would change nothing: it would still get every request
        }
        HostState h = byTarget.get(target);
        if (h == null) {
            return;
        }
        if (outcome == Outcome.SUCCESS) {
            if (h.consecutiveFailures.get() != 0) {
                h.consecutiveFailures.set(0);
            }
            return;
        }
        if (h.consecutiveFailures.incrementAndGet() >= passive.consecutiveFailures()
                && h.ejectionQueued.compareAndSet(false, true)) {
            EventLoop l = loop;
            if (l == null || l.isShuttingDown()) {
                h.ejectionQueued.set(false);
                return;
            }
            l.execute(() -> considerEjection(h));
        }
    }

    /** Whether {@code status} counts as a failure of its upstream. */
    boolean isFailureStatus(int status) {
        return passive.failureStatuses().contains(status);
    }

    // --------------------------------------------------------------------------------- passive (health loop)

    private void considerEjection(HostState h) {
        h.ejectionQueued.set(false);
        if (stopped || h.ejected || h.consecutiveFailures.get() < passive.consecutiveFailures()) {
            return;
        }
        int ejected = 0;
        for (HostState o : hosts) {
            ejected += o.ejected ? 1 : 0;
        }
        int allowed = Math.max(1, hosts.length * passive.maxEjectionPercent() / 100);
        int failures = h.consecutiveFailures.getAndSet(0);
        if (ejected >= allowed) {
            if (!h.keptInLogged) {
                h.keptInLogged = true; // again only after an ejection ends or this one is ejected
                LOG.warn("route {}: upstream {} failed {} times in a row but stays in: {} of {} upstreams are"
                        + " ejected already (max-ejection-percent {}); not logged again while that holds", route, h,
                        failures, ejected, hosts.length, passive.maxEjectionPercent());
            }
            return;
        }
        h.keptInLogged = false;
        long now = System.nanoTime();
        h.ejections = ejectionsInARow(h.ejections, now - h.ejectionEndedNanos, passive) + 1;
        long duration = ejectionNanos(h.ejections, passive);
        h.ejected = true;
        h.rampStartNanos = Long.MIN_VALUE;
        loop.schedule(() -> endEjection(h), duration, TimeUnit.NANOSECONDS);
        rebuild();
        LOG.warn("route {}: upstream {} ejected for {} after {} failures in a row (ejection {} in a row)", route, h,
                readable(duration), failures, h.ejections);
    }

    /**
     * How many ejections in a row an upstream has behind it when it fails again: {@code previous}, less one for every
     * base ejection time it has stayed in since the last one ended (Envoy decrements its multiplier likewise).
     */
    static int ejectionsInARow(int previous, long sinceLastEndedNanos, PassiveHealth passive) {
        if (previous == 0) {
            return 0;
        }
        return (int) Math.max(0, previous - sinceLastEndedNanos / passive.baseEjectionTime().toNanos());
    }

    /** How long the {@code k}-th ejection in a row lasts: {@code k} times the base, at most the maximum. */
    static long ejectionNanos(int k, PassiveHealth passive) {
        long base = passive.baseEjectionTime().toNanos();
        long max = passive.maxEjectionTime().toNanos();
        return k > max / base ? max : Math.min(max, base * k);
    }

    private void endEjection(HostState h) {
        if (stopped || !h.ejected) {
            return;
        }
        h.ejected = false;
        h.ejectionEndedNanos = System.nanoTime();
        for (HostState o : hosts) {
            o.keptInLogged = false; // room for another ejection: say so again if one is refused
        }
        h.consecutiveFailures.set(0);
        becameLive(h);
        rebuild();
        LOG.info("route {}: upstream {} is back after its ejection{}", route, h,
                h.activeDown ? ", but stays down until it passes its active check" : "");
    }

    // ---------------------------------------------------------------------------------- active (health loop)

    private void probe(HostState h) {
        if (stopped) {
            return;
        }
        UpstreamTarget t = h.target;
        int timeout = (int) Math.min(Integer.MAX_VALUE, active.timeout().toMillis());
        HealthProbe.check(loop, probes, t.address, t.ssl == null ? null : alloc -> t.newSslHandler(alloc, timeout),
                t.upstream.authority(), active.path(), active.expectedStatuses()::contains, timeout,
                result -> onProbe(h, result));
    }

    private void onProbe(HostState h, HealthProbe.Result result) {
        if (stopped) {
            return;
        }
        String change = null;
        if (result.passed()) {
            h.activeFailures = 0;
            if (h.activeDown && ++h.activePasses >= active.healthyThreshold()) {
                h.activeDown = false;
                h.activePasses = 0;
                change = "passed " + active.healthyThreshold() + " health checks in a row (" + result.detail()
                        + "): up again";
            }
            if (h.ejected) {
                // a passed check ends an ejection early, as Envoy's successful_active_health_check_uneject_host
                h.ejected = false;
                h.ejectionEndedNanos = System.nanoTime();
                h.consecutiveFailures.set(0);
                change = change != null ? change + "; ejection ended"
                        : "passed its health check (" + result.detail() + "): ejection ended";
            }
            if (change != null && h.live()) {
                becameLive(h);
            }
        } else {
            h.activePasses = 0;
            if (!h.activeDown && ++h.activeFailures >= active.unhealthyThreshold()) {
                h.activeDown = true;
                h.activeFailures = 0;
                h.rampStartNanos = Long.MIN_VALUE;
                change = "failed " + active.unhealthyThreshold() + " health checks in a row (" + result.detail()
                        + "): marked down";
            }
        }
        if (change != null) {
            rebuild(); // published before the news is logged
            if (result.passed()) {
                LOG.info("route {}: upstream {} {}", route, h, change);
            } else {
                LOG.warn("route {}: upstream {} {}", route, h, change);
            }
        }
        loop.schedule(() -> probe(h), active.interval().toNanos(), TimeUnit.NANOSECONDS);
    }

    // --------------------------------------------------------------------------- snapshots (health loop)

    private void becameLive(HostState h) {
        if (slowStartNanos > 0 && h.live()) {
            h.rampStartNanos = System.nanoTime();
        }
    }

    /**
     * Builds and publishes the snapshot for the current health: live hosts in configured order, at their effective
     * weights. While a host ramps up, every weight is scaled by {@link HostState#RAMP_SCALE} and the ramping host
     * gets {@code k} of those parts ({@code k} = 1..9 as the window passes), so its share grows by tenths without
     * fractional weights; a rebuild is scheduled for its next step.
     */
    private void rebuild() {
        if (stopped) {
            return;
        }
        long now = System.nanoTime();
        boolean ramping = false;
        long nextStep = Long.MAX_VALUE;
        for (HostState h : hosts) {
            if (h.rampStartNanos != Long.MIN_VALUE) {
                long elapsed = now - h.rampStartNanos;
                if (!h.live() || elapsed >= slowStartNanos) {
                    h.rampStartNanos = Long.MIN_VALUE;
                } else {
                    ramping = true;
                    long step = rampStep(elapsed);
                    nextStep = Math.min(nextStep, h.rampStartNanos + divideUp(step * slowStartNanos,
                            HostState.RAMP_SCALE - 1));
                }
            }
        }
        List<Upstream> live = new ArrayList<>();
        List<UpstreamTarget> targets = new ArrayList<>();
        for (HostState h : hosts) {
            if (h.live()) {
                int k = !ramping ? 1 : h.rampStartNanos == Long.MIN_VALUE ? HostState.RAMP_SCALE
                        : (int) rampStep(now - h.rampStartNanos);
                live.add(h.weighted[k]);
                targets.add(h.target);
            }
        }
        if (live.isEmpty()) {
            if (!panicking) {
                LOG.warn("route {}: no upstream is live; sending to all {} of them until one is", route,
                        hosts.length);
            }
            panicking = true;
            for (HostState h : hosts) {
                live.add(h.target.upstream);
                targets.add(h.target);
            }
        } else if (panicking) {
            panicking = false;
            LOG.info("route {}: {} upstream(s) live again", route, live.size());
        }
        UpstreamSelector.Picker picker;
        try {
            picker = selector.picker(List.copyOf(live));
        } catch (Throwable e) {
            PluginCalls.rethrowIfFatal(e);
            LOG.error("route {}: the selector failed to build a picker for {}; keeping the previous one", route,
                    live, e);
            return;
        }
        if (picker == null) {
            LOG.error("route {}: the selector returned no picker for {}; keeping the previous one", route, live);
            return;
        }
        publish(picker, targets.toArray(new UpstreamTarget[0]));
        if (nextStep != Long.MAX_VALUE && nextStep < rebuildAt) {
            rebuildAt = nextStep;
            loop.schedule(() -> {
                rebuildAt = Long.MAX_VALUE;
                rebuild();
            }, Math.max(0, nextStep - now), TimeUnit.NANOSECONDS);
        }
    }

    /** The ramp step for {@code elapsed} nanos into slow start: 1 (10% of the weight) to 9 (90%). */
    private long rampStep(long elapsed) {
        return Math.min(HostState.RAMP_SCALE - 1, 1 + elapsed * (HostState.RAMP_SCALE - 1) / slowStartNanos);
    }

    /** A duration as configuration writes it: {@code 30s}, {@code 1500ms}. */
    static String readable(long nanos) {
        long ms = TimeUnit.NANOSECONDS.toMillis(nanos);
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static long divideUp(long a, long b) {
        return (a + b - 1) / b;
    }

    private void publish(UpstreamSelector.Picker picker, UpstreamTarget[] live) {
        snapshot = new Snapshot(picker, live);
        mirror.accept(picker);
    }

    @Override
    public String toString() {
        return "upstreams of route " + route;
    }
}
