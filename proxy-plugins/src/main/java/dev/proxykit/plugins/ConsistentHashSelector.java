package dev.proxykit.plugins;

import dev.proxykit.api.RequestInfo;
import dev.proxykit.api.Upstream;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Consistent hashing over a {@link MaglevTable}: the request's key (a header, a cookie, the client address or the
 * path) is hashed and looked up in the snapshot's table, so the same key goes to the same upstream for as long as
 * the live set does not change, and a change moves close to the smallest possible share of keys. A request without
 * the key is spread at random (weighted) or by its client address, as configured.
 *
 * <p>Thread-safe; a pick is O(length of the key), allocation-free in the picker itself (reading a header through
 * {@link RequestInfo#headers()} may build the value's string).
 */
final class ConsistentHashSelector extends SnapshotSelector {

    /** What the key is. */
    enum KeySource {
        HEADER, COOKIE, CLIENT_IP, PATH
    }

    /** What a request without the key gets. */
    enum Fallback {
        RANDOM, CLIENT_IP
    }

    private static final long KEY_SEED = 0x6b65793a76310000L;

    private final KeySource source;
    private final String name;
    private final Fallback fallback;
    private final int tableSize;

    /**
     * @param name the header or cookie name, or {@code null} for the client address and the path
     */
    ConsistentHashSelector(KeySource source, String name, Fallback fallback, int tableSize) {
        this.source = Objects.requireNonNull(source, "source");
        this.name = name;
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        this.tableSize = tableSize;
    }

    @Override
    Picker build(List<Upstream> live) {
        MaglevTable table = new MaglevTable(live, tableSize);
        return request -> table.lookup(hash(request));
    }

    /** The hash of the request's key, or of its fallback. */
    long hash(RequestInfo request) {
        switch (source) {
            case HEADER:
                String value = request.headers().get(name);
                if (value != null) {
                    return Hashing.hash(value, KEY_SEED);
                }
                break;
            case COOKIE:
                String cookies = request.headers().get("Cookie");
                if (cookies != null) {
                    int start = cookieValueStart(cookies, name);
                    if (start >= 0) {
                        int end = cookies.indexOf(';', start);
                        return Hashing.hash(cookies, start, end < 0 ? cookies.length() : end, KEY_SEED);
                    }
                }
                break;
            case CLIENT_IP:
                return clientHash(request);
            default:
                String target = request.target();
                int q = target.indexOf('?');
                return Hashing.hash(target, 0, q < 0 ? target.length() : q, KEY_SEED);
        }
        return fallback == Fallback.CLIENT_IP ? clientHash(request) : ThreadLocalRandom.current().nextLong();
    }

    private static long clientHash(RequestInfo request) {
        InetAddress address = request.clientAddress() == null ? null : request.clientAddress().getAddress();
        return address == null ? 0 : Hashing.mix(address.hashCode() * 0x9E3779B97F4A7C15L + KEY_SEED);
    }

    /**
     * Where the value of cookie {@code name} starts in a {@code Cookie} header ({@code a=1; b=2}), or -1. Names are
     * compared exactly (cookie names are case-sensitive).
     */
    static int cookieValueStart(String cookies, String name) {
        int i = 0;
        int n = cookies.length();
        while (i < n) {
            while (i < n && (cookies.charAt(i) == ' ' || cookies.charAt(i) == '\t')) {
                i++;
            }
            if (cookies.startsWith(name, i) && i + name.length() < n && cookies.charAt(i + name.length()) == '=') {
                return i + name.length() + 1;
            }
            int semi = cookies.indexOf(';', i);
            if (semi < 0) {
                return -1;
            }
            i = semi + 1;
        }
        return -1;
    }
}
