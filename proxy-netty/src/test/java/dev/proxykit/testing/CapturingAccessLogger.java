package dev.proxykit.testing;

import dev.proxykit.api.AccessLogger;
import dev.proxykit.api.AccessRecord;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An {@link AccessLogger} that keeps every record for a test to take. */
public final class CapturingAccessLogger implements AccessLogger {

    private final BlockingQueue<AccessRecord> records = new LinkedBlockingQueue<>();
    private volatile boolean enabled = true;

    @Override
    public void log(AccessRecord record) {
        records.add(record); // also while off: a test then sees that the proxy did not ask isEnabled()
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    /** Turns the logger off (it then answers false to {@link #isEnabled()}) or on again. */
    public void enabled(boolean on) {
        this.enabled = on;
    }

    /** The next record, waiting at most {@code seconds}; fails when none comes. */
    public AccessRecord take(long seconds) throws InterruptedException {
        AccessRecord r = records.poll(seconds, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no access record within " + seconds + " s");
        }
        return r;
    }

    public AccessRecord poll(long millis) throws InterruptedException {
        return records.poll(millis, TimeUnit.MILLISECONDS);
    }

    public int size() {
        return records.size();
    }
}
