package dev.proxykit.plugins;

/**
 * 64-bit hashing of request keys and upstream names for {@code consistent-hash}: FNV-1a over the chars (each char
 * is one octet in proxykit's strings), finished with MurmurHash3's {@code fmix64} so that every input bit reaches
 * every output bit. Stable across runs and JVMs (the table must not change when the proxy restarts). Stateless,
 * allocation-free.
 */
final class Hashing {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private Hashing() {
    }

    /** Hashes {@code s[from, to)} with {@code seed}. */
    static long hash(CharSequence s, int from, int to, long seed) {
        long h = FNV_OFFSET ^ seed;
        for (int i = from; i < to; i++) {
            h = (h ^ s.charAt(i)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** Hashes all of {@code s} with {@code seed}. */
    static long hash(CharSequence s, long seed) {
        return hash(s, 0, s.length(), seed);
    }

    /** MurmurHash3's 64-bit finaliser. */
    static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
