package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * The first live upstream in configured order: primary and backups. The live set keeps configured order, so the
 * first entry is the first upstream that is not marked down. Thread-safe; a pick is a field read.
 */
final class FirstSelector extends SnapshotSelector {

    @Override
    Picker build(List<Upstream> live) {
        return new FirstPicker(live.get(0));
    }

    /** Always the same upstream. */
    static final class FirstPicker implements Picker {

        private final Upstream first;

        FirstPicker(Upstream first) {
            this.first = first;
        }

        @Override
        public Upstream pick(RequestInfo request) {
            return first;
        }
    }
}
