package dev.proxykit.runtime.config;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A set of HTTP status codes (100-599), written in configuration as a list of codes and classes, such as
 * {@code [502, 503, 504]} or {@code ["2xx", "3xx"]}. Immutable and thread-safe; {@link #contains(int)} is a
 * lock-free bit test, fit for the hot path.
 */
public final class StatusSet {

    /** No status. */
    public static final StatusSet NONE = new StatusSet(new BitSet(), List.of());

    private final BitSet codes;
    private final List<String> written;

    private StatusSet(BitSet codes, List<String> written) {
        this.codes = codes;
        this.written = List.copyOf(written);
    }

    /**
     * Parses entries such as {@code 502} or {@code "5xx"}.
     *
     * @throws IllegalArgumentException naming the first entry that is neither a code from 100 to 599 nor a class
     *                                  from 1xx to 5xx
     */
    public static StatusSet of(List<String> entries) {
        BitSet codes = new BitSet(600);
        List<String> written = new ArrayList<>();
        for (String entry : entries) {
            String e = entry.trim();
            if (e.matches("[1-5]xx")) {
                int base = (e.charAt(0) - '0') * 100;
                codes.set(base, base + 100);
            } else if (e.matches("[1-5][0-9][0-9]")) {
                codes.set(Integer.parseInt(e));
            } else {
                throw new IllegalArgumentException("\"" + entry + "\" is neither a status from 100 to 599 nor a class"
                        + " such as \"5xx\"");
            }
            written.add(e);
        }
        return new StatusSet(codes, written);
    }

    /** Whether {@code status} is in the set. */
    public boolean contains(int status) {
        return status >= 0 && status < 600 && codes.get(status);
    }

    /** Whether the set is empty. */
    public boolean isEmpty() {
        return codes.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusSet && ((StatusSet) o).codes.equals(codes);
    }

    @Override
    public int hashCode() {
        return codes.hashCode();
    }

    /** The entries as written, such as {@code [502, 5xx]}. */
    @Override
    public String toString() {
        return written.toString();
    }
}
