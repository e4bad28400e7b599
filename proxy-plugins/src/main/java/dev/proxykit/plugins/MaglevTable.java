package dev.proxykit.plugins;

import dev.proxykit.api.Upstream;
import java.util.List;

/**
 * A Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
 * section 3.4), weighted as Envoy's {@code MaglevTable} does. Every upstream has a permutation of the table's slots,
 * derived from two hashes of its URL ({@code offset} and {@code skip}, with a prime table size every skip visits
 * every slot); the upstreams take turns claiming their next free preferred slot until the table is full. An
 * upstream of weight {@code w} takes a turn in {@code w / max(weights)} of the rounds, so it ends up with that
 * share of the slots.
 *
 * <p>Removing one of N upstreams frees its slots, which the others claim; the slots of the others mostly stay put,
 * so close to 1/N of keys move. Built off the event loops in O(M log M) expected time for M slots; immutable and
 * thread-safe afterwards, a lookup is one array read.
 */
final class MaglevTable {

    private static final long OFFSET_SEED = 0x6d61676c65763031L;
    private static final long SKIP_SEED = 0x6d61676c65763032L;

    private final Upstream[] slots;

    /**
     * @param live the upstreams, at least one
     * @param size the table size, a prime
     */
    MaglevTable(List<Upstream> live, int size) {
        int n = live.size();
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] weight = Weights.of(live);
        long maxWeight = 0;
        for (int i = 0; i < n; i++) {
            String name = live.get(i).toString();
            offset[i] = Long.remainderUnsigned(Hashing.hash(name, OFFSET_SEED), size);
            skip[i] = Long.remainderUnsigned(Hashing.hash(name, SKIP_SEED), size - 1) + 1;
            maxWeight = Math.max(maxWeight, weight[i]);
        }
        int[] owner = new int[size];
        java.util.Arrays.fill(owner, -1);
        long[] next = new long[n];
        long[] target = new long[n];
        int filled = 0;
        for (long round = 1; filled < size; round++) {
            for (int i = 0; i < n && filled < size; i++) {
                if (round * weight[i] < target[i]) {
                    continue; // a lighter upstream sits this round out
                }
                target[i] += maxWeight;
                int slot = (int) ((offset[i] + next[i] * skip[i]) % size);
                while (owner[slot] >= 0) {
                    next[i]++;
                    slot = (int) ((offset[i] + next[i] * skip[i]) % size);
                }
                owner[slot] = i;
                next[i]++;
                filled++;
            }
        }
        slots = new Upstream[size];
        for (int s = 0; s < size; s++) {
            slots[s] = live.get(owner[s]);
        }
    }

    /** The upstream owning the slot of {@code hash}. */
    Upstream lookup(long hash) {
        return slots[(int) Long.remainderUnsigned(hash, slots.length)];
    }

    /** How many slots {@code u} (by identity) owns, for tests. */
    int slotsOf(Upstream u) {
        int n = 0;
        for (Upstream s : slots) {
            if (s == u) {
                n++;
            }
        }
        return n;
    }

    /** Whether {@code n} is prime (trial division; for validating settings). */
    static boolean isPrime(int n) {
        if (n < 2) {
            return false;
        }
        for (int d = 2; (long) d * d <= n; d++) {
            if (n % d == 0) {
                return false;
            }
        }
        return true;
    }
}
