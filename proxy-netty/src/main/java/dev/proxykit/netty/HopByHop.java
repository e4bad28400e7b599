package dev.proxykit.netty;

import dev.proxykit.api.HeaderNames;
import dev.proxykit.netty.http1.HeaderBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Removes hop-by-hop header fields (RFC 9110 7.6.1), in requests and responses: every field named in any
 * {@code Connection} line, and the fixed list {@code Connection}, {@code Proxy-Connection}, {@code Keep-Alive},
 * {@code Proxy-Authenticate}, {@code Proxy-Authorization}, {@code TE} (a {@code TE: trailers} request keeps
 * {@code TE: trailers}), {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade} and {@code HTTP2-Settings}.
 */
final class HopByHop {

    private static final String[] FIXED = {
        "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE",
        "Trailer", "Transfer-Encoding", "Upgrade", "HTTP2-Settings"
    };

    private static final int CONNECTION = 0;
    private static final int TE = 5;
    private static final int UPGRADE = 8;

    /** Indexes into {@link #FIXED} by name length: a field is compared with the few names of its length only. */
    private static final int[][] FIXED_BY_LENGTH = new int[20][];

    static {
        for (int f = 0; f < FIXED.length; f++) {
            int[] same = FIXED_BY_LENGTH[FIXED[f].length()];
            int[] more = same == null ? new int[1] : Arrays.copyOf(same, same.length + 1);
            more[more.length - 1] = f;
            FIXED_BY_LENGTH[FIXED[f].length()] = more;
        }
    }

    private HopByHop() {
    }

    /**
     * Removes the hop-by-hop fields of {@code h}. {@code Host} and {@code Content-Length} are never removed because
     * a {@code Connection} line names them: that is a request-smuggling trick, not a hop-by-hop field.
     *
     * <p>One pass over the fields finds the fixed names (by length, then by name), reads {@code Connection},
     * {@code Upgrade} and {@code TE} on the way, and a second pass, only when there is something to remove, takes
     * them out: a message without hop-by-hop fields costs one length check per field.
     *
     * @param keepTeTrailers whether a request's {@code TE: trailers} survives (as {@code TE: trailers})
     * @return the value of the removed {@code Upgrade} field (the first one), or {@code null}, so an upgrade can
     *         restore it
     */
    static String strip(HeaderBlock h, boolean keepTeTrailers) {
        String upgrade = null;
        boolean teTrailers = false;
        boolean anyFixed = false;
        List<String> named = null;
        for (int i = 0, n = h.size(); i < n; i++) {
            int fixed = fixedIndex(h, i);
            if (fixed < 0) {
                continue;
            }
            anyFixed = true;
            if (fixed == CONNECTION) {
                // the usual values name only fields removed anyway: no String made for them
                if (!h.valueEqualsIgnoreCase(i, "keep-alive") && !h.valueEqualsIgnoreCase(i, "close")) {
                    named = addNamedFields(h.value(i), named);
                }
            } else if (fixed == UPGRADE) {
                if (upgrade == null) {
                    upgrade = h.value(i);
                }
            } else if (fixed == TE && keepTeTrailers && !teTrailers) {
                teTrailers = HeaderNames.listContains(h.value(i), "trailers");
            }
        }
        if (named != null) {
            for (String name : named) {
                h.remove(name);
            }
        }
        int keptTe = -1;
        if (teTrailers) {
            // the first TE field stays where it was, with the name as received, as TE: trailers
            keptTe = h.indexOf("TE", 0);
            h.setValue(keptTe, "trailers");
        }
        if (anyFixed) {
            for (int i = h.size() - 1; i >= 0; i--) {
                if (i != keptTe && fixedIndex(h, i) >= 0) {
                    h.removeAt(i);
                }
            }
        }
        return upgrade;
    }

    /** The index in {@link #FIXED} of the name of the field at {@code index} (any case), or -1. */
    private static int fixedIndex(HeaderBlock h, int index) {
        int length = h.nameLength(index);
        int[] candidates = length < FIXED_BY_LENGTH.length ? FIXED_BY_LENGTH[length] : null;
        if (candidates != null) {
            for (int f : candidates) {
                if (h.nameEquals(index, FIXED[f])) {
                    return f;
                }
            }
        }
        return -1;
    }

    /**
     * Adds the field names a {@code Connection} value lists to {@code named} (created when needed), leaving out
     * {@code close} and the fixed hop-by-hop names, which need no second removal: the usual {@code keep-alive} or
     * {@code close} then costs no list and no substring.
     */
    private static List<String> addNamedFields(String value, List<String> named) {
        int len = value.length();
        int start = 0;
        while (start < len) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? len : comma;
            int s = start;
            int e = end;
            while (s < e && value.charAt(s) <= ' ') {
                s++;
            }
            while (e > s && value.charAt(e - 1) <= ' ') {
                e--;
            }
            if (e > s && !removedAnyway(value, s, e - s)) {
                String name = value.substring(s, e);
                if (HeaderNames.isToken(name) && !name.equalsIgnoreCase("host")
                        && !name.equalsIgnoreCase("content-length")) {
                    if (named == null) {
                        named = new ArrayList<>(2);
                    }
                    named.add(name);
                }
            }
            start = end + 1;
        }
        return named;
    }

    /** Whether the token at {@code value[from, from + length)} is {@code close} or one of the fixed names. */
    private static boolean removedAnyway(String value, int from, int length) {
        if (length == 5 && value.regionMatches(true, from, "close", 0, 5)) {
            return true;
        }
        for (String name : FIXED) {
            if (name.length() == length && value.regionMatches(true, from, name, 0, length)) {
                return true;
            }
        }
        return false;
    }
}
