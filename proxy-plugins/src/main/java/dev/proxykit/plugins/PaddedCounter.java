package dev.proxykit.plugins;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An atomic {@code long} on a cache line of its own: 128 bytes of fields on either side of the value, so that
 * objects allocated next to it (a picker that every pick reads, another counter) never share its line and are not
 * invalidated each time it changes. The three parts are three classes because the JVM lays out a superclass's
 * fields before its subclass's, but may reorder the fields within one class. Thread-safe, lock-free,
 * allocation-free.
 */
class PaddedCounter extends PaddedCounterValue {

    long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16;

    /** Adds {@code delta} (one {@code lock xadd}) and returns the previous value. */
    final long getAndAdd(long delta) {
        return (long) VALUE.getAndAdd(this, delta);
    }

    /** The current value. */
    final long get() {
        return value;
    }
}

/** Fields before the value of a {@link PaddedCounter}. */
abstract class PaddedCounterLeft {
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
}

/** The value of a {@link PaddedCounter}. */
abstract class PaddedCounterValue extends PaddedCounterLeft {

    static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(PaddedCounterValue.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    volatile long value;
}
