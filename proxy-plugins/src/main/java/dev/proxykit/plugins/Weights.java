package dev.proxykit.plugins;

import dev.proxykit.api.Upstream;
import java.util.List;

/** Arithmetic on the weights of a snapshot, for building pickers. Stateless; used off the event loops. */
final class Weights {

    private Weights() {
    }

    /** Whether every upstream of {@code live} has the same weight. */
    static boolean allEqual(List<Upstream> live) {
        for (int i = 1; i < live.size(); i++) {
            if (live.get(i).weight() != live.get(0).weight()) {
                return false;
            }
        }
        return true;
    }

    /** The weights of {@code live}, in order. */
    static long[] of(List<Upstream> live) {
        long[] w = new long[live.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = live.get(i).weight();
        }
        return w;
    }

    /** The sum of {@code weights}. */
    static long sum(long[] weights) {
        long total = 0;
        for (long w : weights) {
            total += w;
        }
        return total;
    }

    /** The greatest common divisor of {@code weights} (all positive). */
    static long gcd(long[] weights) {
        long g = 0;
        for (long w : weights) {
            long a = g;
            long b = w;
            while (b != 0) {
                long t = a % b;
                a = b;
                b = t;
            }
            g = a;
        }
        return g;
    }
}
