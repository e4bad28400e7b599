package dev.proxykit.plugins;

import java.util.ArrayDeque;

/**
 * Vose's alias method: draws index {@code i} with probability {@code weights[i] / sum(weights)} in O(1) from one
 * random {@code long}, without allocating. Built once per snapshot (O(n)), off the event loops; immutable and
 * thread-safe afterwards.
 */
final class AliasTable {

    /** Probabilities as thresholds against 31 random bits: column {@code i} keeps {@code i} below it. */
    private final int[] threshold;
    private final int[] alias;

    /**
     * @param weights positive weights, at least one
     */
    AliasTable(long[] weights) {
        int n = weights.length;
        threshold = new int[n];
        alias = new int[n];
        double total = Weights.sum(weights);
        double[] scaled = new double[n];
        ArrayDeque<Integer> small = new ArrayDeque<>();
        ArrayDeque<Integer> large = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            scaled[i] = weights[i] * n / total;
            (scaled[i] < 1.0 ? small : large).add(i);
        }
        while (!small.isEmpty() && !large.isEmpty()) {
            int s = small.poll();
            int l = large.poll();
            threshold[s] = toThreshold(scaled[s]);
            alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1.0;
            (scaled[l] < 1.0 ? small : large).add(l);
        }
        // what is left has probability 1 (up to rounding): it always keeps its own column
        for (Integer i : large) {
            threshold[i] = Integer.MAX_VALUE;
            alias[i] = i;
        }
        for (Integer i : small) {
            threshold[i] = Integer.MAX_VALUE;
            alias[i] = i;
        }
    }

    private static int toThreshold(double p) {
        return (int) Math.min(Integer.MAX_VALUE, Math.round(p * (1L << 31)));
    }

    /** How many entries. */
    int size() {
        return alias.length;
    }

    /**
     * Draws an index from {@code random}: its high 32 bits choose a column (Lemire's multiply-shift, no modulo),
     * its low 31 bits decide between the column and its alias.
     */
    int draw(long random) {
        int column = (int) (((random >>> 32) * alias.length) >>> 32);
        int coin = (int) (random & 0x7FFF_FFFFL);
        return coin < threshold[column] ? column : alias[column];
    }
}
