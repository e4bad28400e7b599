package dev.proxykit.plugins;

import dev.proxykit.api.Upstream;
import dev.proxykit.api.UpstreamSelector;
import java.util.List;
import java.util.Objects;

/**
 * What every built-in selector does with a snapshot before its own work: refuse {@code null} and answer an empty
 * live set with a picker that picks nothing (the client then gets 503).
 */
abstract class SnapshotSelector implements UpstreamSelector {

    /** The picker of an empty snapshot. */
    static final Picker EMPTY = request -> null;

    @Override
    public final Picker picker(List<Upstream> live) {
        Objects.requireNonNull(live, "live");
        return live.isEmpty() ? EMPTY : build(live);
    }

    /**
     * Builds the picker of a non-empty snapshot. Runs off the event loops.
     *
     * @param live the live upstreams in configured order; immutable; at least one
     */
    abstract Picker build(List<Upstream> live);
}
